// request.js -- asking someone else, from my phone, for a delegation (谁委托:
// they delegate a matter to me) or a third-party agreement (谁同意: they
// agree to my application, e.g. the householder to my moving in): POST
// /v1/delegations with me as the agent / applicant and the other person as
// the principal / third party. It then waits in the other person's 待办
// for their own face (pending.js shows it to them). What I asked this
// session is listed with its state (GET /v1/delegations/{id}).
import { t, pick, extend } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import { el } from '../shared/dom.js';
import * as problem from '../shared/problem.js';
import './text.js';

extend({
  'r.title': ['请他人委托我或同意我的申请', 'Ask someone to delegate to me or to agree to my application'],
  'r.kind': ['请求类型', 'Request'],
  'r.kind.delegation': ['委托：对方委托我代为办理', 'Delegation: they delegate the matter to me'],
  'r.kind.agreement': ['第三方同意：对方同意我的申请', 'Agreement: they agree to my application'],
  'r.other': ['对方信息（对方须本人刷脸确认）', 'The other person (confirms with their own face)'],
  'r.go': ['发出请求', 'Send the request'],
  'r.sent': ['我发出的请求', 'My requests'],
  'r.row': ['#{id} {kind} · {matter} · 对方 {name} {masked}：{state}', '#{id} {kind} · {matter} · {name} {masked}: {state}'],
  'r.need': ['请填写对方的证件号码和姓名。', 'Give the other person\'s document number and name.'],
});
let matters = null;
const sent = [];   // delegations I asked for (this session)
export function clear() { matters = null; sent.length = 0; }
export async function load() {
  if (!matters) matters = ((await call('GET', '/v1/matters')).matters || []).filter((m) => (m.channels || []).includes('phone'));
  for (let i = 0; i < sent.length; i++) sent[i] = await call('GET', `/v1/delegations/${sent[i].id}`);
}
const val = (id) => { const e = document.getElementById(id); return e ? e.value.trim() : ''; };
// ctx: {act, prob, me}
export function view(ctx) {
  if (!matters) return null;
  const kind = el('select', { id: 'r-kind' }, ['delegation', 'agreement'].map((k) => el('option', { value: k }, t('r.kind.' + k))));
  const matter = el('select', { id: 'r-matter' }, matters.map((m) => el('option', { value: m.code }, pick(m.name))));
  const idtype = el('select', { id: 'r-idtype' }, ['resident_id', 'hk_macao_permit', 'taiwan_permit', 'passport']
    .map((k) => el('option', { value: k }, t('idtype.' + k))));
  const f = el('form', { id: 'r-form' },
    el('h3', { i18n: 'r.title' }),
    el('label', { for: 'r-kind', i18n: 'r.kind' }), kind,
    el('label', { for: 'r-matter', i18n: 'ph.matter' }), matter,
    el('fieldset', {}, el('legend', { i18n: 'r.other' }),
      el('label', { for: 'r-idtype', i18n: 'ph.idtype' }), idtype,
      el('label', { for: 'r-number', i18n: 'ph.number' }), el('input', { type: 'text', id: 'r-number', autocomplete: 'off', maxlength: 32 }),
      el('label', { for: 'r-name', i18n: 'ph.name' }), el('input', { type: 'text', id: 'r-name', autocomplete: 'off', maxlength: 64 })),
    el('label', { for: 'r-note', i18n: 'ph.note' }), el('textarea', { id: 'r-note', rows: 2, maxlength: 200 }),
    el('p', {}, el('button', { type: 'submit', id: 'r-go', i18n: 'r.go' })));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const other = { id_type: idtype.value, id_number: val('r-number').toUpperCase(), name: val('r-name') };
    if (!other.id_number || !other.name) { problem.show(ctx.prob, { key: 'r.need' }); return; }
    const k = kind.value;
    const body = { kind: k, matter: matter.value, note: val('r-note') };
    if (k === 'delegation') { body.principal = other; body.agent = ctx.me(); } else { body.third_party = other; body.applicant = ctx.me(); }
    ctx.act(async () => { sent.unshift(await call('POST', '/v1/delegations', body)); });
  });
  const name = (c) => { const m = matters.find((x) => x.code === c); return m ? pick(m.name) : c; };
  return el('div', { id: 'm-request' }, f,
    sent.length ? el('div', {}, el('h3', { i18n: 'r.sent' }), el('ul', { id: 'r-sent' }, sent.map((d) => el('li', { 'data-id': String(d.id), 'data-state': d.state },
      t('r.row', { id: d.id, kind: t('kind.' + d.kind), matter: name(d.matter), name: (d.confirmer || {}).name || '',
                   masked: (d.confirmer || {}).id_masked || '', state: t('pstate.' + d.state) })))))
      : null);
}
