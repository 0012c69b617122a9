// board.js -- holds and deadlines (GET /v1/applications?state=&overdue=1):
// the hall's applications sorted by their completion deadline, hold ends
// and overdue flags from the server (its clock, its working-day calendar);
// the receipt (受理凭证) of an accepted one shown and printed through the
// browser (the print stylesheet leaves only the receipt on paper).
import { t, pick } from '../shared/i18n.js';
import { call, callText } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el, table, inertHtml } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let rows = [];
function stateText(s) { return t('state.' + s) === 'state.' + s ? s : t('state.' + s); }
function render() {
  const box = $('board-list');
  box.replaceChildren();
  if (!rows.length) { box.append(el('p', { class: 'muted', i18n: 'common.none' })); return; }
  const key = (a) => a.dates.deadline || '9999';
  const sorted = [...rows].sort((x, y) => key(x).localeCompare(key(y)));
  box.append(table(null, ['col.serial', 'col.matter', 'col.applicant', 'col.state', 'col.accepted', 'col.hold_end', 'col.deadline', 'col.overdue', 'col.action'],
    sorted.map((a) => ({ attrs: { class: a.overdue ? 'overdue' : (a.state === 'on_hold' ? 'held' : '') },
      cells: [a.serial, pick(a.name), a.id_masked, stateText(a.state), a.dates.accepted || '—', a.dates.hold_end || '—',
        a.dates.deadline || '—', a.overdue ? el('strong', { class: 'bad', i18n: 'board.overdue_flag' }) : t('common.no'),
        a.dates.accepted ? el('button', { type: 'button', class: 'receipt', 'data-id': a.id, i18n: 'board.receipt', onclick: () => receipt(a.id) }) : '—'] }))));
}
async function load() {
  problem.hide($('board-problem'));
  const q = new URLSearchParams();
  if ($('board-state').value) q.set('state', $('board-state').value);
  if ($('board-overdue').checked) q.set('overdue', '1');
  try { rows = (await call('GET', '/v1/applications' + (q.toString() ? '?' + q : ''))).applications || []; }
  catch (e) { rows = []; problem.show($('board-problem'), e); }
  render();
}
// the server's receipt (HTML with its signed QR as inline SVG): its body
// only, without its <style> (our CSP allows no inline style; app.css
// styles .receipt-doc) and without anything active
async function receipt(id) {
  problem.hide($('board-problem'));
  let html;
  try { html = await callText(`/v1/applications/${id}/receipt?format=html&size=a4`); }
  catch (e) { problem.show($('board-problem'), e); return; }
  $('receipt-doc').replaceChildren(...inertHtml(html));
  $('receipt').hidden = false;
  document.body.classList.add('print-doc');
  $('receipt').scrollIntoView({ block: 'start' });
  $('receipt-print').focus();
}
$('receipt-print').addEventListener('click', () => window.print());
$('receipt-close').addEventListener('click', () => {
  $('receipt').hidden = true; $('receipt-doc').replaceChildren(); document.body.classList.remove('print-doc');
});
$('board-form').addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
document.addEventListener('langchange', () => { if (!$('board').hidden) render(); });
export function show() { load(); }
