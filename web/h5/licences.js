// licences.js -- 我的证照 on the phone (citizen session): my electronic
// licences with their fields (GET /v1/me/licences) and, per licence, every
// use of it (用证记录: when, for which matter, which fields, under which
// consent, by whom; GET /v1/me/licences/{lid}/uses). Both reads are
// audited by the server. A licence fetch for an application needs the
// holder's consent bound to that application (POST /v1/licence-consents,
// docs/licences.md): it is given in the application flow, not here.
import { t, pick, extend } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import { el, fmtTime } from '../shared/dom.js';
import './text.js';

extend({
  'l.title': ['我的电子证照', 'My electronic licences'],
  'l.none': ['暂无电子证照。', 'No electronic licences yet.'],
  'l.issuer': ['发证机关', 'Issued by'],
  'l.id': ['证照编号', 'Licence number'],
  'l.status': ['状态', 'Status'],
  'l.valid': ['有效期至', 'Valid to'],
  'l.fields': ['证照信息', 'Licence data'],
  'l.uses': ['用证记录（{n}）', 'Use records ({n})'],
  'l.uses.show': ['查看用证记录', 'Show the use records'],
  'l.uses.none': ['该证照尚未被调用。', 'This licence has not been used.'],
  'l.col.at': ['时间', 'When'],
  'l.col.fields': ['使用的信息', 'Fields used'],
  'l.col.consent': ['授权', 'Consent'],
  'l.col.by': ['调用方', 'By'],
  'l.st.issued': ['有效', 'Valid'],
  'l.st.suspended': ['已暂停', 'Suspended'],
  'l.st.revoked': ['已注销', 'Revoked'],
  'l.st.expired': ['已过期', 'Expired'],
  'l.unlimited': ['长期', 'No end date'],
});
let data = null;
let names = null;          // matter code -> {zh, en} (the public catalogue)
const uses = new Map();   // licence id -> its uses (after "show")

export function clear() { data = null; uses.clear(); }
export async function load() {
  data = await call('GET', '/v1/me/licences'); uses.clear();
  if (!names) {
    names = new Map();
    try { for (const m of (await call('GET', '/v1/matters')).matters || []) names.set(m.code, m.name); } catch { /* codes are shown */ }
  }
}
async function loadUses(lid) {
  const r = await call('GET', `/v1/me/licences/${encodeURIComponent(lid)}/uses`);
  uses.set(lid, r.uses || []);
}
const st = (s) => { const k = 'l.st.' + s; const v = t(k); return v === k ? s : v; };
function usesTable(list) {
  if (!list.length) return el('p', { class: 'muted l-uses-none', i18n: 'l.uses.none' });
  return el('table', { class: 'grid l-uses' },
    el('thead', {}, el('tr', {}, ['l.col.at', 'ph.matter', 'l.col.fields', 'l.col.consent', 'l.col.by'].map((h) => el('th', { scope: 'col', i18n: h })))),
    el('tbody', {}, list.map((u) => el('tr', {},
      el('td', {}, u.at ? fmtTime(Date.parse(u.at)) : ''),
      el('td', {}, names && names.get(u.matter) ? pick(names.get(u.matter)) + ' (' + u.matter + ')' : (u.matter || '')),
      el('td', {}, (Array.isArray(u.fields) ? u.fields : Object.keys(u.fields || {})).join('、')),
      el('td', {}, u.consent !== undefined && u.consent !== null ? String(u.consent) : (u.consent_id ? String(u.consent_id) : '')),
      el('td', {}, u.actor || u.by || '')))));
}
// the tab's content; act(fn) runs fn and re-renders (pending.js)
export function view(fail, act) {
  if (!data) return el('p', { class: 'muted', i18n: 'ph.checking' });
  const list = data.licences || [];
  return el('div', { id: 'm-licences' }, el('h2', { i18n: 'l.title' }),
    list.length ? el('ul', { class: 'timeline' }, list.map((l) => el('li', { class: 'licence', 'data-kind': l.kind },
      el('h3', {}, l.name || l.kind),
      el('dl', { class: 'form' },
        el('dt', { i18n: 'l.issuer' }), el('dd', {}, l.issuer || ''),
        el('dt', { i18n: 'l.id' }), el('dd', { class: 'small' }, l.licence_id),
        el('dt', { i18n: 'l.status' }), el('dd', {}, el('span', { class: 'pill' + (l.status === 'issued' ? ' ok' : '') }, st(l.status))),
        el('dt', { i18n: 'l.valid' }), el('dd', {}, l.valid_to ? String(l.valid_to).slice(0, 10) : t('l.unlimited'))),
      el('details', {}, el('summary', { i18n: 'l.fields' }),
        el('dl', { class: 'form' }, Object.entries(l.fields || {}).map(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]))),
      el('p', {}, t('l.uses', { n: (l.uses || []).length }), ' ',
        el('button', { type: 'button', class: 'l-uses-show', 'aria-label': t('l.uses.show') + '：' + (l.name || l.kind),
          onclick: () => act(() => loadUses(l.licence_id)) }, t('l.uses.show'))),
      uses.has(l.licence_id) ? usesTable(uses.get(l.licence_id)) : null)))
      : el('p', { i18n: 'l.none' }));
}
