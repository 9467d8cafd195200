// Live tail over the WebSocket `/api/v1/logs/stream`: filters (sent as a `filter` message while
// connected), pause/resume (events wait in a bounded buffer), the server's drop notices, and
// reconnection that resumes after the last event seen (`since_id`): no gap, no duplicate.
import { field, fmtTime, h, select } from '../dom.js';
import { SEVERITIES } from './histogram.js';

const MAX_ROWS = 1000;
const MAX_BUFFER = 5000;
const FINAL_CODES = new Set([4400, 4401, 4403]);

export async function render(main) {
  const qInput = h('input', { name: 'q', type: 'search', class: 'query', spellcheck: 'false', placeholder: 'service:billing -healthcheck' });
  const minSev = select([['', 'any'], ...SEVERITIES.map((s) => [s.toLowerCase(), s])], '');
  const serviceInput = h('input', { name: 'service', spellcheck: 'false' });
  const status = h('p', { class: 'status', role: 'status' }, 'Connecting…');
  const notices = h('div', { class: 'notices', 'aria-live': 'polite' });
  const pauseBtn = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const clearBtn = h('button', { type: 'button' }, 'Clear');
  const rows = h('tbody', null);
  const list = h('div', { class: 'table-wrap tail-list' },
    h('table', { class: 'events' },
      h('colgroup', null, ['c-ts', 'c-sev', 'c-svc', 'c-host', 'c-msg'].map((c) => h('col', { class: c }))),
      h('thead', null, h('tr', null, ['Time (UTC)', 'Severity', 'Service', 'Host', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
      rows));

  let socket = null;
  let lastId = null;
  let paused = false;
  let buffer = [];
  let closed = false;
  let retry = 0;
  let timer = null;

  function filters() {
    const f = {};
    if (qInput.value.trim()) f.q = qInput.value.trim();
    if (minSev.value) f.min_severity = minSev.value;
    if (serviceInput.value.trim()) f.service = serviceInput.value.trim();
    return f;
  }

  function connect() {
    const u = new URL('/api/v1/logs/stream', window.location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [k, v] of Object.entries(filters())) u.searchParams.set(k, v);
    u.searchParams.set('batch', 'true');
    if (lastId) u.searchParams.set('since_id', lastId);
    socket = new WebSocket(u, ['logplane.v1']);
    status.textContent = lastId ? 'Reconnecting (resuming after the last event)…' : 'Connecting…';
    socket.addEventListener('open', () => {
      retry = 0;
      status.textContent = paused ? 'Connected · paused' : 'Connected · live';
      status.dataset.state = 'live';
    });
    socket.addEventListener('message', (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (frame.type === 'log') receive([frame.data]);
      else if (frame.type === 'logs') receive(frame.data);
      else if (frame.type === 'dropped') notice(`${frame.count} events were dropped: this tab fell behind the stream.`);
      else if (frame.type === 'replay_truncated') notice(`Catching up stopped after ${frame.replayed} events: more were stored while this tab was away. Search the time range for the rest.`);
      else if (frame.type === 'error') notice(`The server refused a message: ${frame.message}`);
    });
    socket.addEventListener('close', (event) => {
      status.dataset.state = 'closed';
      if (closed) return;
      if (FINAL_CODES.has(event.code)) {
        const reason = event.reason || `closed with ${event.code}`;
        status.textContent = `Stopped: ${reason}`;
        if (event.code === 4401) window.location.hash = '#/login';
        return;
      }
      // Back off 1 s, 2 s, 4 s … up to 30 s; the resume replays what was stored meanwhile.
      const delay = Math.min(30000, 1000 * 2 ** retry++);
      status.textContent = `Disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''}); retrying in ${Math.round(delay / 1000)} s`;
      timer = setTimeout(connect, delay);
    });
  }

  function receive(events) {
    if (!events.length) return;
    lastId = events[events.length - 1].id;
    if (paused) {
      buffer.push(...events);
      if (buffer.length > MAX_BUFFER) {
        notice(`${buffer.length - MAX_BUFFER} events were skipped while paused (buffer holds ${MAX_BUFFER}).`);
        buffer = buffer.slice(-MAX_BUFFER);
      }
      pauseBtn.textContent = `Resume (${buffer.length} waiting)`;
      return;
    }
    show(events);
  }

  function show(events) {
    const fragment = document.createDocumentFragment();
    for (const event of events) {
      const sev = String(event.severity || '');
      fragment.append(h('tr', { class: 'event', dataset: { id: event.id } },
        h('td', { class: 'ts' }, fmtTime(event.timestamp)),
        h('td', null, h('span', { class: `sev sev-${sev.toLowerCase()}` }, sev)),
        h('td', { class: 'svc' }, event.service || ''),
        h('td', { class: 'host' }, event.host || ''),
        h('td', { class: 'msg' }, event.message)));
    }
    rows.prepend(...[...fragment.childNodes].reverse());
    while (rows.childElementCount > MAX_ROWS) rows.lastElementChild.remove();
  }

  function notice(text) {
    notices.prepend(h('p', { class: 'notice' }, `${new Date().toISOString().slice(11, 19)} ${text}`));
    while (notices.childElementCount > 5) notices.lastElementChild.remove();
  }

  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      show(buffer);
      buffer = [];
    }
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    status.textContent = paused ? 'Connected · paused' : 'Connected · live';
  });
  clearBtn.addEventListener('click', () => rows.replaceChildren());

  const form = h('form', { class: 'tail-form', onsubmit: (e) => {
    e.preventDefault();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'filter', ...filters() }));
    else { clearTimeout(timer); connect(); }
    notice('Filters applied.');
  } },
  field('Filter', qInput), field('Minimum severity', minSev), field('Service', serviceInput),
  h('button', { type: 'submit', class: 'primary' }, 'Apply'), pauseBtn, clearBtn);

  main.append(h('section', { class: 'page tail' }, h('h1', null, 'Live tail'), form, status, notices, list));
  connect();

  return () => {
    closed = true;
    clearTimeout(timer);
    if (socket) socket.close(1000, 'left the page');
  };
}

