// review.js -- the reviewer's queue (GET /v1/review): claim an application,
// read its form, the rules' explanation with the shared data fetched for it
// and its timeline, then approve / return / reject with a comment (the API
// refuses a return or reject without one; its zh/en reason is shown).
import { t, pick } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el, table } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let queue = [];
let open = null;     // the claimed application being reviewed
let note = null;     // the last result line: [i18n key, state]

function stateText(s) { return t('state.' + s) === 'state.' + s ? s : t('state.' + s); }
function renderQueue() {
  const box = $('review-list');
  box.replaceChildren();
  if (!queue.length) { box.append(el('p', { class: 'muted', i18n: 'review.empty' })); return; }
  box.append(table(null, ['col.serial', 'col.matter', 'col.applicant', 'col.accepted', 'col.deadline', 'col.overdue', 'col.action'],
    queue.map((a) => [a.serial, pick(a.name), a.id_masked, a.dates.accepted || '—', a.dates.deadline || '—',
      a.overdue ? el('strong', { class: 'bad', i18n: 'board.overdue_flag' }) : t('common.no'),
      el('button', { type: 'button', class: 'claim', 'data-id': a.id, i18n: 'review.claim', onclick: () => claim(a.id) })])));
}
function facts(f) {
  const ks = Object.keys(f || {});
  if (!ks.length) return '—';
  return el('ul', { class: 'facts' }, ks.map((k) => el('li', {}, el('code', {}, k), ' = ', JSON.stringify(f[k]))));
}
function renderDetail() {
  const box = $('review-detail');
  box.replaceChildren();
  if (!open) { box.hidden = true; return; }
  box.hidden = false;
  const a = open;
  const ex = a.explanation || {};
  box.append(
    el('h3', {}, `${a.serial} · ${pick(a.name)} · ${a.id_masked}`),
    el('p', { id: 'review-state' }, `${stateText(a.state)} — ${pick(a.next)}`),
    el('p', {}, pick(a.statement)),
    el('h4', { i18n: 'review.form' }),
    el('dl', { class: 'form' }, Object.entries(a.form || {}).map(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))])),
    el('h4', { i18n: 'review.rules' }),
    el('p', {}, t('review.decision') + '：' + (ex.decision ? t('decision.' + ex.decision) : '—')),
    table(null, ['review.rule', 'review.result', 'review.else', 'review.facts'],
      (ex.rules || []).map((r) => ({ attrs: { class: 'rule-' + r.result },
        cells: [pick(r), el('strong', {}, t('result.' + r.result)), t('else.' + r.else), facts(r.facts)] }))),
    el('h4', { i18n: 'review.timeline' }),
    el('ol', { class: 'timeline' }, (a.timeline || []).map((s) =>
      el('li', {}, `${s.at.replace('T', ' ').slice(0, 19)} · ${s.actor} · ${s.event} → ${stateText(s.to)}${s.reason ? ' · ' + s.reason : ''}`))));
  if (a.state === 'in_review') {
    box.append(
      el('label', { for: 'review-comment', i18n: 'review.comment' }),
      el('textarea', { id: 'review-comment', rows: '3', maxlength: '500' }),
      el('p', { class: 'row' },
        el('button', { type: 'button', id: 'review-approve', i18n: 'review.approve', onclick: () => decide('approve') }),
        el('button', { type: 'button', id: 'review-return', class: 'warn', i18n: 'review.return', onclick: () => decide('return') }),
        el('button', { type: 'button', id: 'review-reject', class: 'danger', i18n: 'review.reject', onclick: () => decide('reject') })));
  }
  if (note) box.append(el('p', { id: 'review-note', role: 'status', class: 'ok' }, t(note[0], { serial: a.serial, state: stateText(note[1]) })));
}
async function load() {
  problem.hide($('review-problem'));
  try { queue = (await call('GET', '/v1/review')).applications || []; } catch (e) { problem.show($('review-problem'), e); queue = []; }
  renderQueue();
}
async function claim(id) {
  problem.hide($('review-problem')); note = null;
  try {
    await call('POST', `/v1/applications/${id}/claim`);
    open = await call('GET', `/v1/applications/${id}`);
    note = ['review.claimed', open.state];
  } catch (e) { problem.show($('review-problem'), e); return; }
  renderDetail();
  $('review-detail').scrollIntoView({ block: 'start' });
}
async function decide(ev) {
  problem.hide($('review-problem'));
  const c = $('review-comment').value.trim();
  try {
    open = await call('POST', `/v1/applications/${open.id}/${ev}`, c ? { reason: c } : {});
    note = ['review.done', open.state];
  } catch (e) { problem.show($('review-problem'), e); return; }
  renderDetail();
  await load();
}
document.addEventListener('langchange', () => {
  if (!$('review').hidden) {
    renderQueue();
    if (open) { const c = $('review-comment'); const keep = c ? c.value : ''; renderDetail(); if ($('review-comment')) $('review-comment').value = keep; }
  }
});
$('review-refresh').addEventListener('click', load);
export function show() { load(); }
