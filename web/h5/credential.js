// credential.js -- 临时身份凭证 on the phone (seed 004, issue 15): the
// citizen types their document, the purpose and the hours, agrees
// separately to the face check, passes the phone's challenge for matter
// temp_credential (a verification made by the phone device), and the
// phone issues the credential (POST /v1/credentials, docs/licences.md)
// and shows it: masked name, serial, validity, the 8-character code large
// and the public check page's address (/web/check/index.html#code=...).
// Every refusal (the monthly limit credential_limit, a failed face check)
// shows the server's zh/en text and the next step. No login needed: the
// face check itself binds the person. A nav button of its own in #h5-nav.
import { t, pick, extend } from '../shared/i18n.js';
import { call, hasDevice } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { el, fmtTime } from '../shared/dom.js';
import * as challenge from './challenge.js';
import './text.js';

extend({
  'tc.nav': ['临时身份凭证', 'Temporary ID credential'],
  'tc.title': ['申领临时身份凭证', 'Get a temporary identity credential'],
  'tc.intro': ['身份证丢失或过期时，可刷脸申领临时身份凭证（每人每月最多 3 次），出示给核验方扫码或输入核验码核验。',
               'If your ID card is lost or expired, get a temporary credential with your face (at most 3 a month) and show it: the checker scans it or types its code.'],
  'tc.purpose': ['用途', 'Purpose'],
  'tc.purpose.hint': ['例如：乘车、住宿', 'e.g. a train journey, a hotel stay'],
  'tc.hours': ['有效时长', 'Valid for'],
  'tc.h': ['{h} 小时', '{h} hours'],
  'tc.consent': ['我单独同意为本次申领采集并比对我的人脸（可不同意，改用非人脸方式）。',
                 'I separately agree to my face being captured and compared for this credential (optional: a non-face way is offered).'],
  'tc.alt': ['非人脸方式：携带户口簿等证件到任一窗口，由工作人员核验后出具临时身份证明。',
             'Non-face way: bring your household register or another document to any service window; the clerk checks it and issues the credential.'],
  'tc.go': ['刷脸申领', 'Verify my face and get it'],
  'tc.failed': ['人脸核验未通过，未出具凭证', 'Face check not passed: no credential issued'],
  'tc.done': ['临时身份凭证', 'Temporary identity credential'],
  'tc.holder': ['持证人', 'Holder'],
  'tc.idno': ['证件号码', 'ID number'],
  'tc.serial': ['编号', 'Serial'],
  'tc.valid': ['有效期至', 'Valid until'],
  'tc.hall': ['出具机构', 'Issued by'],
  'tc.code': ['核验码', 'Verification code'],
  'tc.count': ['本月已申领 {n} / {m} 次', '{n} of {m} this month'],
  'tc.check': ['核验方打开此地址输入核验码即可核验：', 'The checker opens this address to check the code:'],
  'tc.show': ['请向核验方出示本页面；凭证仅在有效期内、核验结果为有效时使用。', 'Show this page to the checker; it is valid only within its period and when the check says valid.'],
  'tc.again': ['再申领一张', 'Get another'],
});
const idtypes = ['resident_id', 'hk_macao_permit', 'taiwan_permit', 'passport'];
const main = document.querySelector('main');
let nav = document.getElementById('h5-nav');
if (!nav) { nav = el('nav', { id: 'h5-nav', class: 'tabs', 'aria-label': t('ph.nav') }); main.before(nav); }
const bCred = el('button', { type: 'button', id: 'nav-cred', i18n: 'tc.nav' });
nav.append(bCred);
const box = el('section', { id: 'cred', hidden: true });
main.append(box);

let saved = null;   // the sections visible when we took over
let cred = null;    // the issued credential
let verdict = null; // a refused face check
let form = { id_type: 'resident_id', id_number: '', name: '', purpose: '', hours: '24' };

function show() {
  if (!box.hidden) return;
  saved = [...main.children].filter((c) => c !== box && !c.hidden);
  saved.forEach((c) => { c.hidden = true; });
  box.hidden = false;
  for (const b of nav.querySelectorAll('button')) b.removeAttribute('aria-current');
  bCred.setAttribute('aria-current', 'page');
  render();
}
function leave() {
  if (box.hidden) return;
  box.hidden = true;
  (saved || []).forEach((c) => { c.hidden = false; });
  saved = null;
}
// after the other nav listeners (pending.js restores its own sections on any nav click)
bCred.addEventListener('click', () => setTimeout(show, 0));
nav.addEventListener('click', (ev) => { const b = ev.target.closest('button'); if (b && b !== bCred) leave(); }, true);

const ui = {
  video: el('video', { id: 'tc-cam', muted: true, playsinline: true, 'aria-label': t('ph.camera'), hidden: true }),
  prompt: el('p', { id: 'tc-prompt', class: 'prompt', 'aria-live': 'assertive' }),
  digit: el('div', { id: 'tc-digit', class: 'digit', 'aria-live': 'assertive' }),
  countdown: el('p', { id: 'tc-countdown', class: 'muted', 'aria-live': 'off' }),
};
ui.video.muted = true;
const body = el('div', { id: 'tc-body' });
const prob = el('div', { id: 'tc-problem', class: 'problem', role: 'alert', hidden: true });
box.append(body, el('div', { id: 'tc-cambox' }, ui.video, ui.prompt, ui.digit, ui.countdown), prob);

function read() {
  const v = (id) => { const n = document.getElementById(id); return n ? n.value.trim() : ''; };
  form = { id_type: v('tc-idtype') || 'resident_id', id_number: v('tc-number'), name: v('tc-name'), purpose: v('tc-purpose'), hours: v('tc-hours') || '24' };
}
function formView() {
  const sel = el('select', { id: 'tc-idtype' }, idtypes.map((k) => el('option', { value: k }, t('idtype.' + k))));
  sel.value = form.id_type;
  const hours = el('select', { id: 'tc-hours' }, ['24', '48', '72'].map((h) => el('option', { value: h }, t('tc.h', { h }))));
  hours.value = form.hours;
  const f = el('form', { id: 'tc-form' },
    el('h2', { i18n: 'tc.title' }), el('p', { class: 'muted', i18n: 'tc.intro' }),
    el('label', { for: 'tc-idtype', i18n: 'ph.idtype' }), sel,
    el('label', { for: 'tc-number', i18n: 'ph.number' }), el('input', { type: 'text', id: 'tc-number', autocomplete: 'off', required: true, maxlength: 18, value: form.id_number }),
    el('label', { for: 'tc-name', i18n: 'ph.name' }), el('input', { type: 'text', id: 'tc-name', autocomplete: 'name', required: true, maxlength: 64, value: form.name }),
    el('label', { for: 'tc-purpose', i18n: 'tc.purpose' }), el('input', { type: 'text', id: 'tc-purpose', maxlength: 100, placeholder: t('tc.purpose.hint'), value: form.purpose }),
    el('label', { for: 'tc-hours', i18n: 'tc.hours' }), hours,
    el('p', {}, el('input', { type: 'checkbox', id: 'tc-consent' }), ' ', el('label', { for: 'tc-consent', class: 'inline', i18n: 'tc.consent' })),
    el('p', { class: 'muted', i18n: 'tc.alt' }),
    verdictView(),
    el('p', {}, el('button', { type: 'submit', id: 'tc-go', i18n: 'tc.go' })));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); issue(); });
  return f;
}
function verdictView() {
  if (!verdict) return null;
  return el('div', { id: 'tc-verdict', class: 'verdict no', 'aria-live': 'polite' },
    el('h3', { i18n: 'tc.failed' }),
    el('ul', { class: 'reasons' }, (verdict.reasons || []).map((r) => el('li', {}, pick(r) + ' [' + r.code + ']'))),
    verdict.next_step ? el('p', {}, t('ph.nextstep') + pick(verdict.next_step)) : null,
    (verdict.alternatives || []).length ? el('p', { class: 'muted' }, verdict.alternatives.map(pick).join('；')) : el('p', { class: 'muted', i18n: 'tc.alt' }));
}
function credView(c) {
  const href = '/web/check/index.html#code=' + encodeURIComponent(c.code);
  const dd = (k, v, id) => [el('dt', { i18n: k }), el('dd', id ? { id } : {}, v || '')];
  return el('div', { id: 'tc-cred', class: 'verdict ok', 'data-serial': c.serial },
    el('h2', { i18n: 'tc.done' }),
    el('dl', { class: 'form' },
      dd('tc.holder', c.name_masked, 'tc-holder'), dd('tc.idno', c.id_masked),
      dd('tc.serial', c.serial, 'tc-serial'),
      dd('tc.valid', c.valid_to ? fmtTime(Date.parse(c.valid_to)).slice(0, 16) : '', 'tc-valid'),
      c.purpose ? dd('tc.purpose', c.purpose) : null, c.hall ? dd('tc.hall', c.hall) : null),
    el('p', { i18n: 'tc.code' }),
    el('p', { id: 'tc-code', class: 'digit', 'aria-label': t('tc.code') + ' ' + c.code.split('').join(' ') }, c.code),
    el('p', {}, t('tc.check'), ' ', el('a', { id: 'tc-link', href }, location.origin + href)),
    c.monthly_limit ? el('p', { class: 'muted', id: 'tc-count' }, t('tc.count', { n: c.issued_this_month, m: c.monthly_limit })) : null,
    el('p', { class: 'muted', i18n: 'tc.show' }),
    el('p', {}, el('button', { type: 'button', id: 'tc-again', i18n: 'tc.again', onclick: () => { cred = null; render(); } })));
}
function render() { body.replaceChildren(cred ? credView(cred) : formView()); }

async function issue() {
  read();
  problem.hide(prob);
  verdict = null;
  const old = document.getElementById('tc-verdict');
  if (old) old.remove();
  if (!document.getElementById('tc-consent').checked) { problem.show(prob, { key: 'ph.noconsent' }); return; }
  if (!hasDevice()) { problem.show(prob, { key: 'ph.nodevice' }); return; }
  const go = document.getElementById('tc-go');
  go.disabled = true;
  try {
    ui.video.hidden = false;
    try { await cam.open(ui.video, 'user'); } catch { throw Object.assign(new Error('camera'), { key: 'err.camera' }); }
    const v = await call('POST', '/v1/verifications', { id_type: form.id_type, id_number: form.id_number, name: form.name,
      levels: ['real_name', 'real_person', 'real_document'], liveness: 'actions', matter: 'temp_credential',
      reference: 'h5-cred-' + Date.now().toString(36), consent: { face_processing: true, remote_frames: true } }, { device: true });
    let r = v;
    if (v.status !== 'decided') {
      const frames = await challenge.run(v.challenge || { steps: [], issued_at: 0 }, ui);
      ui.prompt.textContent = t('ph.checking');
      r = await call('POST', `/v1/verifications/${v.id}/frames`, { frames }, { device: true });
    }
    cam.close(ui.video); ui.video.hidden = true; ui.prompt.textContent = '';
    if (!r.passed) { verdict = r; render(); return; }
    const req = { verification: Number(v.id) || v.id, hours: Number(form.hours) || 24 };
    if (form.purpose) req.purpose = form.purpose;
    cred = await call('POST', '/v1/credentials', req, { device: true });
    render();
  } catch (e) {
    render();
    problem.show(prob, e);
  } finally {
    cam.close(ui.video); ui.video.hidden = true; ui.prompt.textContent = '';
    const g = document.getElementById('tc-go'); if (g) g.disabled = false;
  }
}
document.addEventListener('langchange', () => { if (!box.hidden) { if (!cred) read(); render(); } });
