// Alerting: rules with their state (create, edit, delete), notification channels (create and edit
// with a write-only secret, send a test), silences (create, end) and the history of firings and
// resolves with the delivery of each notification. Writes need the scope saved searches need; the
// API decides. Editing fills the "new" form and saves with PUT (a rule keeps its state).
import { api } from '../api.js';
import { errorBox, field, fmtTime, h, select, table, toast } from '../dom.js';
import { none } from './range.js';

const TYPES = [['webhook', 'Webhook'], ['slack', 'Slack'], ['email', 'Email (SMTP)']];
const DURATIONS = [['3600', '1 hour'], ['14400', '4 hours'], ['86400', '1 day'], ['604800', '7 days']];
const SECRET_HINT = {
  webhook: 'HMAC signing secret, 16+ characters. Write-only: never shown again.',
  slack: 'The incoming-webhook URL. Write-only: never shown again.',
  email: 'SMTP password (with a username). Write-only: never shown again.',
};

function stateText(state) {
  if (!state) return '';
  const value = state.value === null || state.value === undefined ? '' : ` (value ${state.value})`;
  return `${state.state}${value}`;
}

export async function render(main) {
  const data = { rules: [], channels: [] };
  const rulesBox = h('div', { 'aria-live': 'polite' });
  const channelsBox = h('div', { 'aria-live': 'polite' });
  const silencesBox = h('div', { 'aria-live': 'polite' });
  const historyBox = h('div', { 'aria-live': 'polite' });
  const channelPicks = h('fieldset', { class: 'scopes' }, h('legend', null, 'Channels'));
  const silenceRule = select([], '', { name: 'rule_id' });

  const channelName = (id) => (data.channels.find((c) => c.id === id) || {}).name || id;
  const ruleName = (id) => (data.rules.find((r) => r.id === id) || {}).name || id;

  async function remove(path, what, box) {
    if (!window.confirm(`Delete ${what}?`)) return;
    try {
      await api(path, { method: 'DELETE' });
      toast(`Deleted ${what}`);
      await loadAll();
    } catch (error) {
      box.prepend(errorBox(error));
    }
  }

  async function loadChannels() {
    const page = await api('/api/v1/alert-channels');
    data.channels = page.items;
    channelPicks.replaceChildren(h('legend', null, 'Channels'),
      ...(data.channels.length ? data.channels.map((c) => h('label', null, h('input', { type: 'checkbox', name: 'channel_ids', value: c.id }), ` ${c.name}`)) : [h('span', { class: 'muted' }, 'No channels yet: the rule is recorded without notifications.')]));
    channelsBox.replaceChildren(data.channels.length
      ? table(['Name', 'Type', 'Target', 'Secret', 'Test', ''], data.channels.map((c) => {
        const result = h('span', { 'aria-live': 'polite' });
        const test = h('button', { type: 'button', class: 'small', 'aria-label': `Send a test to ${c.name}` }, 'Send test');
        test.addEventListener('click', async () => {
          test.disabled = true;
          result.textContent = ' sending…';
          try {
            const out = await api(`/api/v1/alert-channels/${c.id}/test`, { method: 'POST' });
            result.textContent = out.delivered ? ` delivered${out.status_code ? ` (${out.status_code})` : ''}` : ` failed: ${out.error || out.status_code}`;
          } catch (error) {
            result.textContent = ` failed: ${error.message}`;
          } finally {
            test.disabled = false;
          }
        });
        const target = c.config.url || (c.config.to || []).join(', ') || '';
        return h('tr', { dataset: { channelId: c.id } },
          h('td', null, c.name), h('td', null, c.type), h('td', { class: 'mono' }, target),
          h('td', null, c.has_secret ? 'set' : 'none'),
          h('td', null, test, result),
          h('td', null,
            h('button', { type: 'button', class: 'small', 'aria-label': `Edit channel ${c.name}`, onclick: () => editChannel(c) }, 'Edit'), ' ',
            h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete channel ${c.name}`, onclick: () => remove(`/api/v1/alert-channels/${c.id}`, `channel ${c.name}`, channelsBox) }, 'Delete')));
      }), { class: 'channels' })
      : none('channels'));
  }

  async function loadRules() {
    const page = await api('/api/v1/alert-rules');
    data.rules = page.items;
    silenceRule.replaceChildren(...data.rules.map((r) => h('option', { value: r.id }, r.name)));
    rulesBox.replaceChildren(data.rules.length
      ? table(['Name', 'Condition', 'Query', 'State', 'Since', 'Channels', ''], data.rules.map((r) => h('tr', { dataset: { ruleId: r.id, state: r.state.state } },
        h('td', null, r.name, r.enabled ? null : h('span', { class: 'muted' }, ' (disabled)')),
        h('td', { class: 'mono' }, r.condition),
        h('td', { class: 'mono' }, r.query || 'all events'),
        h('td', null, h('span', { class: `status-${r.state.state}` }, stateText(r.state)), r.state.error ? h('div', { class: 'err' }, r.state.error) : null),
        h('td', { class: 'ts' }, fmtTime(r.state.since || r.state.evaluated_at)),
        h('td', null, r.channel_ids.map(channelName).join(', ')),
        h('td', null,
          h('button', { type: 'button', class: 'small', 'aria-label': `Edit rule ${r.name}`, onclick: () => editRule(r) }, 'Edit'), ' ',
          h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete rule ${r.name}`, onclick: () => remove(`/api/v1/alert-rules/${r.id}`, `rule ${r.name}`, rulesBox) }, 'Delete')))), { class: 'rules' })
      : none('alert rules'));
  }

  async function loadSilences() {
    const page = await api('/api/v1/alert-silences');
    silencesBox.replaceChildren(page.items.length
      ? table(['Rule', 'From', 'Until', 'Comment', 'By', ''], page.items.map((s) => h('tr', null,
        h('td', null, ruleName(s.rule_id)), h('td', { class: 'ts' }, fmtTime(s.starts_at)), h('td', { class: 'ts' }, fmtTime(s.ends_at)),
        h('td', null, s.comment), h('td', null, s.created_by),
        h('td', null, h('button', { type: 'button', class: 'small', 'aria-label': `End the silence of ${ruleName(s.rule_id)}`, onclick: () => remove(`/api/v1/alert-silences/${s.id}`, `the silence of ${ruleName(s.rule_id)}`, silencesBox) }, 'End')))), { class: 'silences' })
      : none('silences'));
  }

  async function loadHistory() {
    const page = await api('/api/v1/alerts', { query: { limit: 100 } });
    historyBox.replaceChildren(page.items.length
      ? table(['At', 'Rule', 'Kind', 'Value', 'Notice', 'Deliveries'], page.items.map((a) => h('tr', { dataset: { kind: a.kind } },
        h('td', { class: 'ts' }, fmtTime(a.at)), h('td', null, a.rule_name), h('td', null, h('span', { class: `status-${a.kind}` }, a.kind)),
        h('td', { class: 'num' }, String(a.value)), h('td', null, a.notice.replace(/_/g, ' ')),
        h('td', null, a.deliveries.length ? h('ul', { class: 'plain' }, a.deliveries.map((d) => h('li', null,
          `${d.channel_name} (${d.channel_type}): `, h('span', { class: `status-${d.status}` }, d.status),
          ` after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`, d.last_error ? h('span', { class: 'err' }, ` — ${d.last_error}`) : null))) : 'none'))), { class: 'history' })
      : none('alerts'));
  }

  async function loadAll() {
    await Promise.all([
      loadChannels().catch((e) => channelsBox.replaceChildren(errorBox(e))),
      loadRules().catch((e) => rulesBox.replaceChildren(errorBox(e))),
      loadHistory().catch((e) => historyBox.replaceChildren(errorBox(e))),
    ]);
    await loadSilences().catch((e) => silencesBox.replaceChildren(errorBox(e)));
  }

  // New rule.
  const rName = h('input', { name: 'name', required: true, maxlength: '200' });
  const rQuery = h('input', { name: 'query', spellcheck: 'false', class: 'query', placeholder: 'service:checkout severity:>=error' });
  const rCondition = h('input', { name: 'condition', required: true, spellcheck: 'false', value: 'count > 100 in 5m' });
  const rCooldown = h('input', { name: 'cooldown_seconds', type: 'number', min: '0', value: '0' });
  const rEnabled = h('input', { name: 'enabled', type: 'checkbox', checked: true });
  const ruleStatus = h('div', { 'aria-live': 'polite' });
  const ruleHeading = h('h3', null, 'New rule');
  const ruleSubmit = h('button', { type: 'submit', class: 'primary' }, 'Create rule');
  let editingRule = null;
  const ruleCancel = h('button', { type: 'button', hidden: true, onclick: () => editRule(null) }, 'Cancel');
  function editRule(rule) {
    editingRule = rule;
    rName.value = rule ? rule.name : '';
    rQuery.value = rule ? rule.query : '';
    rCondition.value = rule ? rule.condition : 'count > 100 in 5m';
    rCooldown.value = String(rule ? rule.cooldown_seconds : 0);
    rEnabled.checked = rule ? rule.enabled : true;
    for (const box of channelPicks.querySelectorAll('input')) box.checked = Boolean(rule) && rule.channel_ids.includes(box.value);
    ruleHeading.textContent = rule ? `Edit rule ${rule.name}` : 'New rule';
    ruleForm.setAttribute('aria-label', rule ? 'Edit rule' : 'New rule');
    ruleSubmit.textContent = rule ? 'Save rule' : 'Create rule';
    ruleCancel.hidden = !rule;
    ruleStatus.replaceChildren();
    if (rule) {
      ruleHeading.scrollIntoView({ block: 'start' });
      rName.focus();
    }
  }
  const ruleForm = h('form', { class: 'inline-form', 'aria-label': 'New rule', onsubmit: async (e) => {
    e.preventDefault();
    ruleStatus.replaceChildren();
    const channelIds = [...channelPicks.querySelectorAll('input:checked')].map((i) => i.value);
    const body = { name: rName.value.trim(), query: rQuery.value.trim(), condition: rCondition.value.trim(), channel_ids: channelIds, cooldown_seconds: Number(rCooldown.value || 0), enabled: rEnabled.checked };
    try {
      if (editingRule) {
        // PUT replaces the whole rule: what the form does not show (service) is sent back as it was.
        const rule = await api(`/api/v1/alert-rules/${editingRule.id}`, { method: 'PUT', body: { ...body, service: editingRule.service } });
        toast(`Rule ${rule.name} saved`);
      } else {
        const rule = await api('/api/v1/alert-rules', { method: 'POST', body });
        toast(`Rule ${rule.name} created`);
      }
      editRule(null);
      await loadAll();
    } catch (error) {
      ruleStatus.replaceChildren(errorBox(error));
      rCondition.focus();
    }
  } }, field('Name', rName), field('Query', rQuery, 'A filter in the query language; empty: all events'),
  field('Condition', rCondition, 'count > 100 in 5m · error_ratio > 5% in 10m · new_pattern in 15m · new_error_group in 1h · anomaly_score >= 0.8 in 10m'),
  field('Cooldown (seconds)', rCooldown), h('label', null, rEnabled, ' Enabled'), channelPicks,
  ruleSubmit, ruleCancel, ruleStatus);

  // New channel.
  const cName = h('input', { name: 'name', required: true, maxlength: '200' });
  const cType = select(TYPES, 'webhook', { name: 'type' });
  const cUrl = h('input', { name: 'url', type: 'url', placeholder: 'https://hooks.example.org/logplane' });
  const cSecret = h('input', { name: 'secret', type: 'password', autocomplete: 'new-password', class: 'secret' });
  const eHost = h('input', { name: 'host' });
  const ePort = h('input', { name: 'port', type: 'number', value: '587' });
  const eUser = h('input', { name: 'username', autocomplete: 'off' });
  const eFrom = h('input', { name: 'from', type: 'email' });
  const eTo = h('input', { name: 'to', placeholder: 'ops@example.org, oncall@example.org' });
  const urlField = field('Webhook URL', cUrl);
  const secretField = field('Secret', cSecret, SECRET_HINT.webhook);
  const emailFields = h('div', { class: 'inline-form', hidden: true }, field('SMTP host', eHost), field('Port', ePort), field('Username', eUser), field('From', eFrom), field('To (comma-separated)', eTo));
  const secretHint = secretField.querySelector('.hint');
  cType.addEventListener('change', () => showType());
  const showType = () => {
    urlField.hidden = cType.value !== 'webhook';
    emailFields.hidden = cType.value !== 'email';
    secretHint.textContent = SECRET_HINT[cType.value] + (editingChannel ? ' Leave empty to keep the stored one.' : '');
  };
  const channelStatus = h('div', { 'aria-live': 'polite' });
  const channelHeading = h('h3', null, 'New channel');
  const channelSubmit = h('button', { type: 'submit', class: 'primary' }, 'Create channel');
  let editingChannel = null;
  const channelCancel = h('button', { type: 'button', hidden: true, onclick: () => editChannel(null) }, 'Cancel');
  function editChannel(channel) {
    editingChannel = channel;
    const config = (channel && channel.config) || {};
    cName.value = channel ? channel.name : '';
    cType.value = channel ? channel.type : 'webhook';
    cType.disabled = Boolean(channel);  // a channel keeps its type: its secret means something per type
    cUrl.value = config.url || '';
    eHost.value = config.host || '';
    ePort.value = String(config.port || 587);
    eUser.value = config.username || '';
    eFrom.value = config.from || '';
    eTo.value = (config.to || []).join(', ');
    cSecret.value = '';
    channelHeading.textContent = channel ? `Edit channel ${channel.name}` : 'New channel';
    channelForm.setAttribute('aria-label', channel ? 'Edit channel' : 'New channel');
    channelSubmit.textContent = channel ? 'Save channel' : 'Create channel';
    channelCancel.hidden = !channel;
    channelStatus.replaceChildren();
    showType();
    if (channel) {
      channelHeading.scrollIntoView({ block: 'start' });
      cName.focus();
    }
  }
  const channelForm = h('form', { class: 'inline-form', 'aria-label': 'New channel', onsubmit: async (e) => {
    e.preventDefault();
    channelStatus.replaceChildren();
    let config = {};
    if (cType.value === 'webhook') config = { url: cUrl.value.trim() };
    if (cType.value === 'email') {
      config = { host: eHost.value.trim(), port: Number(ePort.value || 587), from: eFrom.value.trim(), to: eTo.value.split(',').map((t) => t.trim()).filter(Boolean) };
      if (eUser.value.trim()) config.username = eUser.value.trim();
    }
    const body = { name: cName.value.trim(), type: cType.value, config };
    if (cSecret.value) body.secret = cSecret.value;
    try {
      if (editingChannel) {
        const channel = await api(`/api/v1/alert-channels/${editingChannel.id}`, { method: 'PUT', body });
        toast(`Channel ${channel.name} saved`);
      } else {
        const channel = await api('/api/v1/alert-channels', { method: 'POST', body });
        toast(`Channel ${channel.name} created`);
      }
      editChannel(null);
      await loadAll();
    } catch (error) {
      channelStatus.replaceChildren(errorBox(error));
    }
  } }, field('Name', cName), field('Type', cType), urlField, emailFields, secretField,
  channelSubmit, channelCancel, channelStatus);

  // New silence.
  const sDuration = select(DURATIONS, '3600', { name: 'duration_seconds' });
  const sComment = h('input', { name: 'comment', maxlength: '1000' });
  const silenceStatus = h('div', { 'aria-live': 'polite' });
  const silenceForm = h('form', { class: 'inline-form', 'aria-label': 'New silence', onsubmit: async (e) => {
    e.preventDefault();
    silenceStatus.replaceChildren();
    try {
      await api('/api/v1/alert-silences', { method: 'POST', body: { rule_id: silenceRule.value, duration_seconds: Number(sDuration.value), comment: sComment.value.trim() } });
      toast('Silence created');
      sComment.value = '';
      await loadSilences();
    } catch (error) {
      silenceStatus.replaceChildren(errorBox(error));
    }
  } }, field('Rule', silenceRule), field('For', sDuration), field('Comment', sComment),
  h('button', { type: 'submit' }, 'Silence'), silenceStatus);

  main.append(h('section', { class: 'page' },
    h('h1', null, 'Alerts'),
    h('h2', null, 'Rules'), rulesBox,
    ruleHeading, ruleForm,
    h('h2', null, 'Channels'), channelsBox,
    channelHeading, channelForm,
    h('h2', null, 'Silences'), silencesBox,
    h('h3', null, 'New silence'), silenceForm,
    h('h2', null, 'History'), historyBox,
    h('button', { type: 'button', onclick: loadAll }, 'Refresh')));
  await loadAll();
}
