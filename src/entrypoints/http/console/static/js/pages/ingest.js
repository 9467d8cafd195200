// How to send logs here: copy-paste configurations with this deployment's endpoint (the key stays a
// placeholder: keys are created, and shown once, under Admin → API keys), and a parser playground
// on `POST /api/v1/parse` (a dry run: nothing is stored).
import { api } from '../api.js';
import { copy, errorBox, field, h, select, table } from '../dom.js';

function snippets(base) {
  const u = new URL(base);
  const tls = u.protocol === 'https:';
  const port = u.port || (tls ? '443' : '80');
  return [
    ['curl', `export LOGPLANE_API_KEY=lp_…   # a key with the ingest scope
curl -s -X POST ${base}/api/v1/logs \\
  -H "Authorization: Bearer $LOGPLANE_API_KEY" -H 'Content-Type: application/json' \\
  -d '{"message": "payment failed", "severity": "error", "service": "billing", "attributes": {"order_id": 42}}'

# plain text lines, parsed on the way in (json, syslog, access_log, logfmt, raw)
tail -n 100 /var/log/nginx/access.log | curl -s -X POST "${base}/api/v1/logs/raw?service=nginx" \\
  -H "Authorization: Bearer $LOGPLANE_API_KEY" -H 'Content-Type: text/plain' --data-binary @-`],
    ['OpenTelemetry', `# OpenTelemetry Collector (otlphttp exporter); SDKs: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=${base}/api/v1/compat/otlp/v1/logs
exporters:
  otlphttp/logplane:
    endpoint: ${base}/api/v1/compat/otlp
    headers:
      Authorization: "Bearer \${env:LOGPLANE_API_KEY}"
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/logplane]`],
    ['Promtail', `# promtail -config.expand-env=true
clients:
  - url: ${base}/api/v1/compat/loki/api/v1/push
    basic_auth:
      username: logplane
      password: \${LOGPLANE_API_KEY}`],
    ['Grafana Alloy', `loki.write "logplane" {
  endpoint {
    url = "${base}/api/v1/compat/loki/api/v1/push"
    basic_auth {
      username = "logplane"
      password = sys.env("LOGPLANE_API_KEY")
    }
  }
}`],
    ['Fluent Bit', `[OUTPUT]
    Name               es
    Match              *
    Host               ${u.hostname}
    Port               ${port}
    Path               /api/v1/compat/elasticsearch
    HTTP_User          logplane
    HTTP_Passwd        \${LOGPLANE_API_KEY}
    Suppress_Type_Name On
    tls                ${tls ? 'On' : 'Off'}`],
    ['Vector', `[sinks.logplane]
type = "elasticsearch"
inputs = ["my_logs"]
endpoints = ["${base}/api/v1/compat/elasticsearch"]
api_version = "v8"
mode = "bulk"
auth.strategy = "basic"
auth.user = "logplane"
auth.password = "\${LOGPLANE_API_KEY}"`],
    ['rsyslog', `# rsyslog ≥ 8.2x with omhttp: a JSON event per line, posted in batches to the native bulk route
template(name="logplane" type="list" option.jsonf="on") {
  property(outname="message" name="msg" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="severity" name="syslogseverity-text" format="jsonf")
  property(outname="service" name="programname" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
}
module(load="omhttp")
action(type="omhttp" server="${u.hostname}" serverport="${port}" usehttps="${tls ? 'on' : 'off'}"
       restpath="api/v1/logs/bulk" template="logplane"
       batch="on" batch.format="jsonarray" batch.maxsize="500"
       httpheaders=["Authorization: Bearer lp_…"])`],
    ['syslog-ng', `# syslog-ng's elasticsearch-http() destination; its stock template is mapped as Elasticsearch's
destination d_logplane {
  elasticsearch-http(
    url("${base}/api/v1/compat/elasticsearch/_bulk")
    index("syslog-ng")
    type("")
    user("logplane")
    password("lp_…")
  );
};
log { source(s_src); destination(d_logplane); };`],
  ];
}

export async function render(main) {
  const base = window.location.origin;
  const tabs = snippets(base);
  const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Shippers' });
  const panel = h('div', { role: 'tabpanel', class: 'snippet', tabindex: '0' });
  const buttons = tabs.map(([name, text], i) => {
    const button = h('button', { type: 'button', role: 'tab', id: `tab-${i}`, 'aria-selected': 'false', tabindex: '-1' }, name);
    button.addEventListener('click', () => choose(i));
    button.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const next = (i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length;
        choose(next);
        buttons[next].focus();
      }
    });
    tablist.append(button);
    return button;
  });
  function choose(i) {
    buttons.forEach((b, j) => { b.setAttribute('aria-selected', String(i === j)); b.tabIndex = i === j ? 0 : -1; });
    panel.setAttribute('aria-labelledby', `tab-${i}`);
    const text = tabs[i][1];
    panel.replaceChildren(
      h('pre', null, h('code', null, text)),
      h('button', { type: 'button', class: 'small', onclick: () => copy(text) }, 'Copy'));
  }
  choose(0);

  // Parser playground
  const text = h('textarea', { name: 'text', rows: '6', spellcheck: 'false', class: 'mono' },
    '127.0.0.1 - - [24/Nov/2026:10:00:02 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8"\nlevel=error msg="payment declined" service=billing\n{"level":"warn","msg":"slow query","duration_ms":812}');
  const parserSel = select([['', 'auto-detect']], '');
  const service = h('input', { name: 'service', spellcheck: 'false' });
  const out = h('div', { 'aria-live': 'polite' });
  api('/api/v1/parsers').then((parsers) => {
    for (const name of [...parsers.builtin, ...parsers.custom.map((p) => p.name)]) parserSel.append(h('option', { value: name }, name));
  }).catch(() => {});
  const form = h('form', { class: 'playground', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const body = { text: text.value };
      if (parserSel.value) body.parser = parserSel.value;
      if (service.value.trim()) body.service = service.value.trim();
      const result = await api('/api/v1/parse', { method: 'POST', body });
      out.replaceChildren(table(['Line', 'Parser', 'Event'], result.events.map((ev) => h('tr', null,
        h('td', { class: 'mono' }, ev.line), h('td', null, ev.parser), h('td', null, h('pre', { class: 'json' }, JSON.stringify(ev.event, null, 2)))))));
    } catch (error) {
      out.replaceChildren(errorBox(error));
    }
  } }, field('Lines', text), h('div', { class: 'toolbar' }, field('Parser', parserSel), field('Service (when a line names none)', service),
    h('button', { type: 'submit', class: 'primary' }, 'Parse')), out);

  main.append(h('section', { class: 'page' },
    h('h1', null, 'Send logs'),
    h('p', null, 'Endpoint: ', h('code', null, base), '. Create a key with the ', h('code', null, 'ingest'), ' scope under ',
      h('a', { href: '#/admin' }, 'Admin → API keys'), ' (an admin can) and put it where the snippets say ', h('code', null, 'LOGPLANE_API_KEY'), '.'),
    tablist, panel,
    h('h2', null, 'Parser playground'),
    h('p', null, 'What each line would become; nothing is stored.'),
    form));
}
