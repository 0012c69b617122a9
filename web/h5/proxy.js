// proxy.js -- 为长辈代办 on the phone (citizen session; seed 003's proxy,
// docs/matters.md): the logged-in citizen applies for an elder for a matter
// whose catalogue `auth` names an agent (e.g. 高龄津贴): POST
// /v1/applications {matter, id_number (the elder's), form, proxy:
// {relation}} -> request_auth; the elder's own face on this phone, with the
// elder's separate consent, is the elder's authorisation (a verification of
// the elder, matter = the matter, reference = the application id, the
// liveness the catalogue allows for the subject, passive first) -> submit
// with it and the ticked commitments. The proxy is identified by their own
// session, so no second verification is needed. My applications (as
// subject or proxy) with their state below.
import { t, pick, extend } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import { el } from '../shared/dom.js';
import * as problem from '../shared/problem.js';
import './text.js';

extend({
  'p.intro': ['您以本人身份登录后为老人申请；老人须本人同意并在本手机上刷脸，作为老人的授权。',
              'You apply for the elder under your own login; the elder agrees and shows their own face on this phone as their authorisation.'],
  'p.matter': ['代办事项', 'Matter'],
  'p.none': ['目前没有可在手机上代办的事项。', 'No matter can be applied for by a proxy on the phone now.'],
  'p.number': ['老人身份证号码', 'The elder\'s ID card number'],
  'p.name': ['老人姓名', 'The elder\'s name'],
  'p.relation': ['您与老人的关系', 'Your relation to the elder'],
  'rel.child': ['子女', 'Child'],
  'rel.spouse': ['配偶', 'Spouse'],
  'rel.relative': ['其他亲属', 'Other relative'],
  'rel.community_worker': ['社区工作人员', 'Community worker'],
  'rel.guardian': ['监护人', 'Guardian'],
  'p.go': ['提交代办申请', 'Open the application'],
  'p.face.title': ['请老人本人刷脸', 'The elder\'s own face check'],
  'p.face.hint': ['请把手机交给老人，正对镜头，保持不动。', 'Hand the phone to the elder: face the camera and hold still.'],
  'p.face.consent': ['老人本人单独同意为本次申请采集并比对人脸（可不同意，改用非人脸方式）。',
                     'The elder separately agrees to their face being captured and compared for this application (optional: a non-face way is offered).'],
  'p.face.go': ['老人刷脸并提交', 'Elder\'s face check, then submit'],
  'p.alt': ['非人脸方式：持老人身份证原件到任一窗口，或预约工作人员上门核验。',
            'Non-face way: bring the elder\'s ID card to any window, or book a home visit by staff.'],
  'p.app': ['申请 {serial}（{state}）', 'Application {serial} ({state})'],
  'p.new': ['再办一件', 'Apply again'],
  'p.mine': ['我的申请（本人及代办）', 'My applications (mine and as a proxy)'],
  'p.col.serial': ['编号', 'No.'],
  'p.col.as': ['身份', 'As'],
  'p.as.subject': ['本人', 'Myself'],
  'p.as.proxy': ['代办', 'Proxy'],
  'p.need': ['请填写全部必填项并勾选承诺。', 'Fill in every required field and tick the commitments.'],
});
let matters = null;   // phone matters whose auth names an agent (full entries)
let apps = null;      // GET /v1/me/applications
let app = null;       // the application being made
let draft = { form: {} };

export function clear() { matters = null; apps = null; app = null; draft = { form: {} }; }
export async function load() {
  if (!matters) {
    const list = ((await call('GET', '/v1/matters')).matters || []).filter((m) => (m.channels || []).includes('phone'));
    const full = await Promise.all(list.map((m) => call('GET', '/v1/matters/' + encodeURIComponent(m.code))));
    matters = full.filter((m) => (m.auth || []).some((a) => a.who === 'agent'));
  }
  apps = (await call('GET', '/v1/me/applications')).applications || [];
}
const stateText = (s) => { const v = t('state.' + s); return v === 'state.' + s ? s : v; };
const matterOf = (code) => (matters || []).find((m) => m.code === code) || null;
function subjectLiveness(m) {
  const a = (m.auth || []).find((x) => x.who === 'subject') || {};
  const l = a.liveness || ['actions'];
  return l.includes('passive') ? 'passive' : l.includes('actions') ? 'actions' : l[0];
}
const val = (id) => { const e = document.getElementById(id); return e ? e.value.trim() : ''; };

function formView(ctx) {
  if (!matters.length) return el('p', { i18n: 'p.none' });
  const m = matterOf(draft.matter) || matters[0];
  draft.matter = m.code;
  const sel = el('select', { id: 'p-matter', onchange: () => { save(); draft.matter = sel.value; ctx.act(async () => {}); } },
    matters.map((x) => el('option', { value: x.code }, pick(x.name))));
  sel.value = m.code;
  const rel = el('select', { id: 'p-relation' }, ['child', 'spouse', 'relative', 'community_worker', 'guardian']
    .map((r) => el('option', { value: r }, t('rel.' + r))));
  if (draft.relation) rel.value = draft.relation;
  const f = el('form', { id: 'p-form' },
    el('label', { for: 'p-matter', i18n: 'p.matter' }), sel,
    el('label', { for: 'p-number', i18n: 'p.number' }),
    el('input', { type: 'text', id: 'p-number', autocomplete: 'off', required: true, maxlength: 18, value: draft.number || '' }),
    el('label', { for: 'p-name', i18n: 'p.name' }),
    el('input', { type: 'text', id: 'p-name', autocomplete: 'off', required: true, maxlength: 64, value: draft.name || '' }),
    el('label', { for: 'p-relation', i18n: 'p.relation' }), rel,
    (m.form || []).map((x) => [el('label', { for: 'p-f-' + x.name }, pick(x)),
      el('input', { type: 'text', id: 'p-f-' + x.name, 'data-field': x.name, required: !!x.required, maxlength: 200,
                    value: draft.form[x.name] || '' })]),
    (m.commitments || []).map((c) => el('p', {}, el('input', { type: 'checkbox', id: 'p-c-' + c.id, 'data-commit': c.id, required: true }),
      ' ', el('label', { for: 'p-c-' + c.id, class: 'inline' }, pick(c)))),
    el('p', {}, el('button', { type: 'submit', id: 'p-go', i18n: 'p.go' })));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    save();
    const commits = [...f.querySelectorAll('[data-commit]')];
    if (!draft.number || !draft.name || commits.some((c) => !c.checked) ||
        (m.form || []).some((x) => x.required && !draft.form[x.name])) { problem.show(ctx.prob, { key: 'p.need' }); return; }
    draft.commitments = commits.map((c) => c.dataset.commit);
    ctx.act(async () => {
      const a = await call('POST', '/v1/applications', { matter: m.code, id_number: draft.number, form: draft.form,
                                                         proxy: { relation: draft.relation } });
      app = await call('POST', `/v1/applications/${a.id}/request_auth`, {});
      ctx.clearVerdict();
    });
  });
  return f;
}
function save() {
  if (!document.getElementById('p-form')) return;
  draft.number = val('p-number').toUpperCase(); draft.name = val('p-name'); draft.relation = val('p-relation');
  document.querySelectorAll('#p-form [data-field]').forEach((e) => { draft.form[e.dataset.field] = e.value.trim(); });
}
function appView(ctx) {
  const m = matterOf(app.matter) || { code: app.matter, auth: [] };
  const kids = [el('p', { id: 'p-app', 'data-app': String(app.id), 'data-state': app.state },
    t('p.app', { serial: app.serial, state: stateText(app.state) }), app.next ? ' — ' + pick(app.next) : '')];
  if (app.state === 'awaiting_auth') {
    kids.push(el('h3', { i18n: 'p.face.title' }), el('p', { i18n: 'p.face.hint' }),
      el('p', {}, el('input', { type: 'checkbox', id: 'p-elder-consent' }), ' ',
        el('label', { for: 'p-elder-consent', class: 'inline', i18n: 'p.face.consent' })),
      el('p', { class: 'muted', i18n: 'p.alt' }), ctx.verdictBox(),
      el('p', {}, el('button', { type: 'button', id: 'p-face', onclick: () => {
        if (!document.getElementById('p-elder-consent').checked) { problem.show(ctx.prob, { key: 'ph.noconsent' }); return; }
        ctx.act(async () => {
          const elder = { id_type: 'resident_id', id_number: draft.number, name: draft.name };
          const r = await ctx.faceCheck(m.code, String(app.id), {}, elder, subjectLiveness(m));
          if (!r) return;
          app = await call('POST', `/v1/applications/${app.id}/submit`, { verifications: [String(r.id)], commitments: draft.commitments || [] });
          apps = (await call('GET', '/v1/me/applications')).applications || [];
        });
      } }, t('p.face.go'))));
  }
  kids.push(el('p', {}, el('button', { type: 'button', id: 'p-new', onclick: () => { app = null; ctx.clearVerdict(); ctx.act(async () => {}); } }, t('p.new'))));
  return el('div', { id: 'p-current' }, kids);
}
function appsTable() {
  if (!apps || !apps.length) return null;
  return el('table', { class: 'grid', id: 'p-apps' }, el('caption', { i18n: 'p.mine' }),
    el('thead', {}, el('tr', {}, ['p.col.serial', 'ph.matter', 'p.col.as', 'ph.state'].map((h) => el('th', { scope: 'col', i18n: h })))),
    el('tbody', {}, apps.map((a) => el('tr', { 'data-app': String(a.id), 'data-state': a.state },
      el('td', {}, a.serial), el('td', {}, pick(a.name)), el('td', {}, t('p.as.' + (a.as === 'proxy' ? 'proxy' : 'subject'))),
      el('td', {}, stateText(a.state))))));
}
// the tab's content; ctx: {act, faceCheck, verdictBox, prob, clearVerdict} from pending.js
export function view(ctx) {
  save();   // what was typed survives a re-render (language, another refusal)
  if (!matters) return el('p', { class: 'muted', i18n: 'ph.checking' });
  return el('div', { id: 'm-proxy' }, el('h2', { i18n: 'ph.proxy' }), el('p', { class: 'muted', i18n: 'p.intro' }),
    app ? appView(ctx) : formView(ctx), appsTable());
}
