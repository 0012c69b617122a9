// audit.js -- the auditor's search of the audit log (GET /v1/audit:
// person = ID number or masked number, action, time window; itself audited).
import { t } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el, table, fmtTime } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let recs = null;
function render() {
  const box = $('audit-result');
  box.replaceChildren();
  if (!recs) return;
  box.append(el('p', { role: 'status' }, t('audit.count', { n: recs.length })));
  if (!recs.length) return;
  box.append(table(null, ['audit.seq', 'audit.at', 'audit.actor', 'audit.what', 'audit.object', 'audit.id', 'audit.purpose', 'audit.outcome'],
    recs.map((r) => [String(r.seq), fmtTime(r.at_ms), `${r.actor.kind}:${r.actor.id}`, el('code', {}, r.action),
      r.object ? `${r.object.type}:${r.object.id}` : '—', r.id_masked || '—', r.purpose || '—', r.outcome])));
}
$('audit-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('audit-problem'));
  const q = new URLSearchParams();
  const v = (id) => $(id).value.trim();
  if (v('audit-person')) q.set('person', v('audit-person'));
  if (v('audit-action')) q.set('action', v('audit-action'));
  for (const [id, k] of [['audit-from', 'from'], ['audit-to', 'to']]) {
    if (v(id)) { const d = new Date(v(id)); if (!isNaN(d)) q.set(k, d.toISOString()); }
  }
  try { recs = (await call('GET', '/v1/audit' + (q.toString() ? '?' + q : ''))).records || []; }
  catch (e) { recs = null; problem.show($('audit-problem'), e); }
  render();
});
document.addEventListener('langchange', render);
export function show() { /* the form waits for the auditor */ }
