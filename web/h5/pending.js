// pending.js -- the citizen's own pages on the phone (seed 002, issue 15):
// log in with the face (a verification of matter citizen_login -> a
// citizen session, token in memory only), 待办 (GET /v1/me/pending: the
// filings and delegations of the last 7 days still waiting for me, with the
// deadline and days left; refusals of what I filed), one filing (what it
// is, the materials, who else must confirm, the exact bytes that are
// signed), confirm = a face check bound to the filing (matter = its kind,
// reference = sub_<id>, the bank-card factor for a resident ID) -> the
// signature record; refuse with a reason; submit when every party signed.
// Delegations and third-party agreements the same way (dlg_<id>).
// 我的证照 (licences.js) is the other tab. Verifications are made as the
// phone device (the citizen's token cannot open one); everything else as
// the citizen.
import { t, pick, extend, currentLang } from '../shared/i18n.js';
import { call, setToken, hasDevice, hasToken } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { el, fmtTime } from '../shared/dom.js';
import * as challenge from './challenge.js';
import * as licences from './licences.js';
import * as proxy from './proxy.js';
import * as request from './request.js';
import './text.js';

extend({
  'm.nav.mine': ['待办与证照', 'My items and licences'],
  'm.login.title': ['刷脸登录：查看我的待办和证照', 'Log in with your face: my items and licences'],
  'm.consent': ['我单独同意为本次登录采集并比对我的人脸（可不同意，改用非人脸方式）。',
                'I separately agree to my face being captured and compared for this login (optional: a non-face way is offered).'],
  'm.alt': ['非人脸方式：携带证件原件到任一窗口，由工作人员核验后办理待办事项。',
            'Non-face way: bring your original document to any service window; the clerk checks it and you act on the item there.'],
  'm.login.go': ['刷脸登录', 'Log in with my face'],
  'm.who': ['已登录：{name}（{id}）', 'Logged in: {name} ({id})'],
  'm.logout': ['退出登录', 'Log out'],
  'm.ident': ['本人证件号码和姓名（用于本次刷脸核验）', 'Your document number and name (for this face check)'],
  'm.tab.pending': ['待办', 'To do'],
  'm.tab.licences': ['我的证照', 'My licences'],
  'm.pending.title': ['待办事项（{d} 天内）', 'Items waiting for me (within {d} days)'],
  'm.pending.none': ['没有待办事项。', 'Nothing is waiting for you.'],
  'm.pending.notices': ['提醒', 'Notices'],
  'm.deadline': ['截止 {at}，剩余 {d} 天', 'Due {at}, {d} days left'],
  'm.deadline.today': ['截止 {at}，今天到期', 'Due {at}, today'],
  'm.open': ['查看并办理', 'Open'],
  'm.back': ['返回待办', 'Back to the list'],
  'm.item.submission': ['需要您确认并签名的登记业务', 'A filing you must confirm and sign'],
  'm.item.delegation': ['需要您确认的委托', 'A delegation you must confirm'],
  'm.item.agreement': ['需要您同意的第三方事项', 'A third-party agreement you must give'],
  'm.role': ['我的身份', 'My role'],
  'm.materials': ['业务内容与材料', 'What it is: the filing\'s content'],
  'm.parties': ['相关人员（每人须本人刷脸并签名）', 'Parties (each must verify their own face and sign)'],
  'm.col.role': ['身份', 'Role'],
  'm.col.doc': ['证件', 'Document'],
  'm.col.bank': ['银行卡核验', 'Bank-card check'],
  'm.me': ['（本人）', ' (me)'],
  'm.yes': ['需要', 'required'],
  'm.no': ['不需要', 'not required'],
  'm.signed.title': ['签名内容（您签署的正是以下内容）', 'What is signed (exactly these bytes)'],
  'm.hash': ['内容摘要（SM3/哈希）', 'Content hash'],
  'm.bank.title': ['本人银行卡信息核验（居民身份证持有人必填）', 'Bank-card check (required with a resident ID)'],
  'm.bank.card': ['银行卡号', 'Bank card number'],
  'm.bank.phone': ['银行预留手机号', 'Phone number held by the bank'],
  'm.sign.consent': ['我单独同意为本次确认采集并比对我的人脸（一人一事一认证）。',
                     'I separately agree to my face being captured and compared for this confirmation (one check per person per filing).'],
  'm.confirm': ['确认无误，刷脸并签名', 'Confirm, verify my face and sign'],
  'm.refuse.reason': ['拒绝理由', 'Reason for refusing'],
  'm.refuse': ['拒绝确认', 'Refuse'],
  'm.reason.need': ['请填写拒绝理由，申请人会收到该理由。', 'Give a reason for refusing; the filer is told it.'],
  'm.refused': ['已拒绝：{r}', 'Refused: {r}'],
  'm.submit': ['全部人员已签名：提交业务', 'Every party has signed: submit the filing'],
  'm.submitted': ['业务已提交（{at}）。', 'The filing is submitted ({at}).'],
  'm.sig.title': ['电子签名记录', 'E-signature record'],
  'm.sig.id': ['签名编号', 'Signature no.'],
  'm.sig.by': ['签署人', 'Signer'],
  'm.sig.verif': ['身份核验', 'Identity verification'],
  'm.sig.at': ['签署时间', 'Signed at'],
  'm.sig.suite': ['算法', 'Algorithm'],
  'm.done.me': ['您已确认并签名。', 'You have confirmed and signed.'],
  'm.events': ['记录', 'Events'],
  'm.dlg.other': ['对方', 'The other person'],
  'm.verdict.no': ['人脸核验未通过', 'Face check not passed'],
  'm.verdict.alts': ['也可以：', 'You can also: '],
  'role.legal_representative': ['法定代表人', 'Legal representative'],
  'role.shareholder': ['股东', 'Shareholder'],
  'role.director': ['董事', 'Director'],
  'role.supervisor': ['监事', 'Supervisor'],
  'role.liaison': ['联络员', 'Liaison'],
  'role.agent': ['受托人', 'Agent'],
  'role.principal': ['委托人', 'Principal'],
  'role.third_party': ['第三方（同意人）', 'Third party (gives agreement)'],
  'role.applicant': ['申请人', 'Applicant'],
  'pstate.pending': ['待确认', 'Waiting'],
  'pstate.signed': ['已签名', 'Signed'],
  'pstate.refused': ['已拒绝', 'Refused'],
  'pstate.confirmed': ['已确认', 'Confirmed'],
  'pstate.open': ['办理中', 'Open'],
  'pstate.submitted': ['已提交', 'Submitted'],
  'pstate.expired': ['已过期', 'Expired'],
  'doc.company': ['企业名称', 'Company name'],
  'doc.address': ['住所', 'Registered address'],
  'doc.capital_wan': ['注册资本（万元）', 'Registered capital (10 000 CNY)'],
  'doc.business_scope': ['经营范围', 'Business scope'],
  'kind.company_registration': ['企业设立登记', 'Company registration'],
  'kind.delegation': ['委托', 'Delegation'],
  'kind.agreement': ['第三方同意', 'Third-party agreement'],
});
const T = (key, fallback) => { const s = t(key); return s === key ? (fallback || key.replace(/^[a-z]+\./, '')) : s; };

// ---- the hook into h5's page: a nav button and one section of our own ----
const main = document.querySelector('main');
let nav = document.getElementById('h5-nav');
if (!nav) { nav = el('nav', { id: 'h5-nav', class: 'tabs', 'data-i18n-label': 'ph.nav', 'aria-label': t('ph.nav') }); main.before(nav); }
const bApply = el('button', { type: 'button', id: 'nav-apply', i18n: 'ph.apply', 'aria-current': 'page' });
const bMine = el('button', { type: 'button', id: 'nav-mine', i18n: 'm.nav.mine' });
nav.append(bApply, bMine);
const box = el('section', { id: 'mine', hidden: true });
main.append(box);
let saved = null;   // the 001 sections visible when we left them
function showMine(on) {
  if (on && !box.hidden) return;
  if (on) {
    saved = [...main.children].filter((c) => c !== box && !c.hidden);
    saved.forEach((c) => { c.hidden = true; });
    box.hidden = false;
  } else if (!box.hidden) {
    box.hidden = true;
    (saved || []).forEach((c) => { c.hidden = false; });
    cam.close(ui.video);
  }
  for (const b of nav.querySelectorAll('button')) b.removeAttribute('aria-current');
  (on ? bMine : bApply).setAttribute('aria-current', 'page');
  if (on && !session && hasToken()) act(async () => { const m = await call('GET', '/v1/me'); session = { ...m, handed: true }; await loadPending(); });
  else if (on) render();
}
bMine.addEventListener('click', () => showMine(true));
bApply.addEventListener('click', () => showMine(false));
// another page section (e.g. the identity code) taking over hides ours
nav.addEventListener('click', (ev) => { if (ev.target !== bMine && ev.target.closest('button') && ev.target !== bApply) showMine(false); });

// ---- state ----
let me = null;        // {id_type, id_number, name} as typed at login (memory only)
let session = null;   // the citizen session {person_id, name, id_masked, expires_at}
let view = 'pending'; // 'pending' | 'item' | 'licences'
let pending = null;   // GET /v1/me/pending
let item = null;      // {type, data}
let verdict = null;   // a refused face check: the result
let sig = null;       // the signature just made
let busy = false;

const ui = {
  video: el('video', { id: 'm-cam', muted: true, playsinline: true, 'data-i18n-label': 'ph.camera', 'aria-label': t('ph.camera'), hidden: true }),
  prompt: el('p', { id: 'm-prompt', class: 'prompt', 'aria-live': 'assertive' }),
  digit: el('div', { id: 'm-digit', class: 'digit', 'aria-live': 'assertive' }),
  countdown: el('p', { id: 'm-countdown', class: 'muted', 'aria-live': 'off' }),
};
ui.video.muted = true;
const camBox = el('div', { id: 'm-cambox' }, ui.video, ui.prompt, ui.digit, ui.countdown);
const prob = el('div', { id: 'm-problem', class: 'problem', role: 'alert', hidden: true });
const body = el('div', { id: 'm-body' });
box.append(body, camBox, prob);
const fail = (e) => problem.show(prob, e);

// ---- the face check: a verification bound to (matter, reference) made by
// the phone device, the challenge with the front camera, the verdict ----
async function faceCheck(matter, reference, extra = {}, who = me, liveness = 'actions') {
  verdict = null;
  ui.video.hidden = false;
  try { await cam.open(ui.video, 'user'); } catch { ui.video.hidden = true; throw Object.assign(new Error('camera'), { key: 'err.camera' }); }
  try {
    const v = await call('POST', '/v1/verifications', { id_type: who.id_type, id_number: who.id_number, name: who.name,
      levels: ['real_name', 'real_person', 'real_document'], liveness, matter, reference,
      consent: { face_processing: true, remote_frames: true }, ...extra }, { device: true });
    let r = v;
    if (v.status !== 'decided') {
      const frames = await challenge.run(v.challenge || { steps: [], issued_at: 0 }, ui);   // passive: ~2 s of frames
      ui.prompt.textContent = t('ph.checking');
      r = await call('POST', `/v1/verifications/${v.id}/frames`, { frames }, { device: true });
    }
    if (!r.passed) { verdict = r; return null; }
    return r;
  } finally {
    cam.close(ui.video); ui.video.hidden = true; ui.prompt.textContent = '';
  }
}
function verdictBox() {
  if (!verdict) return null;
  return el('div', { id: 'm-verdict', class: 'verdict no', 'aria-live': 'polite' },
    el('h3', {}, t('m.verdict.no')),
    el('ul', { class: 'reasons' }, (verdict.reasons || []).map((r) => el('li', {}, pick(r) + ' [' + r.code + '] ',
      el('span', { class: 'other', lang: currentLang() === 'zh' ? 'en' : 'zh-CN' }, currentLang() === 'zh' ? r.en : r.zh)))),
    verdict.next_step ? el('p', {}, t('ph.nextstep') + pick(verdict.next_step)) : null,
    (verdict.alternatives || []).length ? el('p', { class: 'muted' }, t('m.verdict.alts') + verdict.alternatives.map(pick).join('；')) : el('p', { class: 'muted' }, t('m.alt')));
}
// runs fn with the buttons disabled; a refusal is shown with zh/en and code
async function act(fn) {
  if (busy) return;
  busy = true; problem.hide(prob);
  body.querySelectorAll('button').forEach((b) => { b.disabled = true; });
  try { await fn(); } catch (e) { fail(e); }
  busy = false;
  render();
}

// ---- login ----
function loginView() {
  const sel = el('select', { id: 'm-idtype' }, ['resident_id', 'hk_macao_permit', 'taiwan_permit', 'passport']
    .map((k) => el('option', { value: k }, t('idtype.' + k))));
  if (me) sel.value = me.id_type;
  const form = el('form', { id: 'm-login' },
    el('h2', { i18n: 'm.login.title' }),
    el('label', { for: 'm-idtype', i18n: 'ph.idtype' }), sel,
    el('label', { for: 'm-number', i18n: 'ph.number' }),
    el('input', { type: 'text', id: 'm-number', autocomplete: 'off', required: true, maxlength: 32, value: me ? me.id_number : '' }),
    el('label', { for: 'm-name', i18n: 'ph.name' }),
    el('input', { type: 'text', id: 'm-name', autocomplete: 'name', required: true, maxlength: 64, value: me ? me.name : '' }),
    el('p', {}, el('input', { type: 'checkbox', id: 'm-consent' }), ' ', el('label', { for: 'm-consent', class: 'inline', i18n: 'm.consent' })),
    el('p', { class: 'muted', i18n: 'm.alt' }),
    verdictBox(),
    el('p', {}, el('button', { type: 'submit', id: 'm-login-go', i18n: 'm.login.go' })));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!document.getElementById('m-consent').checked) { problem.show(prob, { key: 'ph.noconsent' }); return; }
    if (!hasDevice()) { problem.show(prob, { key: 'ph.nodevice' }); return; }
    me = { id_type: sel.value, id_number: document.getElementById('m-number').value.trim().toUpperCase(),
           name: document.getElementById('m-name').value.trim() };
    act(async () => {
      const r = await faceCheck('citizen_login', 'h5-login-' + Date.now().toString(36));
      if (!r) return;
      const s = await call('POST', '/v1/citizen/sessions', { verification: r.id }, { device: true });
      setToken(s.token);
      session = s; view = 'pending'; pending = null;
      await loadPending();
    });
  });
  return form;
}

// ---- 待办 ----
async function loadPending() { pending = await call('GET', '/v1/me/pending'); await request.load(); }
function daysLeft(iso) { return Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 86400000)); }
function deadline(iso) {
  const d = daysLeft(iso); const at = fmtTime(Date.parse(iso)).slice(0, 16);
  return d > 0 ? t('m.deadline', { at, d }) : t('m.deadline.today', { at });
}
function pendingView() {
  if (!pending) return el('p', { class: 'muted', i18n: 'ph.checking' });
  const items = pending.items || [];
  return el('div', { id: 'm-pending' },
    el('h2', {}, t('m.pending.title', { d: pending.days || 7 })),
    items.length ? el('ul', { class: 'timeline', id: 'm-items' }, items.map((it) => el('li', { 'data-type': it.type, 'data-id': String(it.id) },
      el('strong', {}, it.title || T('kind.' + it.kind, it.kind)), ' · ', it.type === 'submission' ? T('kind.' + it.kind, it.kind) : T('kind.' + it.type, it.type),
      ' · ', t('m.role'), '：', T('role.' + it.role, it.role),
      el('br', {}), el('span', { class: 'muted deadline' }, deadline(it.expires_at)), ' ',
      el('button', { type: 'button', class: 'open', 'aria-label': t('m.open') + ' ' + (it.title || ''),
        onclick: () => act(() => openItem(it.type, it.id)) }, t('m.open')))))
      : el('p', { id: 'm-none', i18n: 'm.pending.none' }),
    (pending.notices || []).length ? el('div', { id: 'm-notices' }, el('h3', { i18n: 'm.pending.notices' }),
      el('ul', {}, pending.notices.map((n) => el('li', {}, noticeText(n))))) : null,
    request.view({ act, prob, me: () => ({ ...me }) }));
}
function noticeText(n) {
  const d = n.detail || n;
  return [n.submission ? 'sub_' + n.submission : '', n.at ? fmtTime(Date.parse(n.at)).slice(0, 16) : '', pick(d),
          d.role ? T('role.' + d.role, d.role) + ' ' + (d.name || '') : '', d.reason ? '“' + d.reason + '”' : ''].filter(Boolean).join(' · ');
}
async function openItem(type, id) {
  verdict = null; sig = null;
  const data = await call('GET', type === 'submission' ? `/v1/submissions/${id}` : `/v1/delegations/${id}`);   // delegation | agreement
  item = { type, data }; view = 'item';
}
async function reloadItem() { if (item) await openItem(item.type, item.data.id); }

// ---- one filing ----
function dl(obj) {
  return el('dl', { class: 'form' }, Object.entries(obj || {}).map(([k, v]) => [el('dt', {}, T('doc.' + k, k)),
    el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]));
}
function pretty(s) { try { return JSON.stringify(JSON.parse(s), null, 1); } catch { return s || ''; } }
function sigBox(s) {
  if (!s) return null;
  const inner = s.signature || {};
  return el('div', { id: 'm-sig', class: 'verdict ok' }, el('h3', { i18n: 'm.sig.title' }),
    el('dl', { class: 'form' },
      el('dt', { i18n: 'm.sig.id' }), el('dd', { 'data-sig': String(s.id) }, String(s.id)),
      el('dt', { i18n: 'm.sig.by' }), el('dd', {}, s.signer || ''),
      el('dt', { i18n: 'm.hash' }), el('dd', { class: 'small' }, s.doc_hash || ''),
      el('dt', { i18n: 'm.sig.verif' }), el('dd', { class: 'small' }, inner.verification_id || String(s.verification_id || '')),
      el('dt', { i18n: 'm.sig.at' }), el('dd', {}, s.signed_at ? fmtTime(Date.parse(s.signed_at)) : ''),
      el('dt', { i18n: 'm.sig.suite' }), el('dd', {}, (inner.suite || '') + ' · ' + (inner.result || ''))));
}
function actions(kind, matter, reference, bankNeeded, onConfirm, onRefuse) {
  const kids = [];
  // a session handed over by the government app (#citizen=TOKEN): the page does
  // not know the full number, which the face check needs; the citizen types it
  const ask = !me || session.handed;
  if (ask) kids.push(el('fieldset', { id: 'm-ident' }, el('legend', { i18n: 'm.ident' }),
    el('label', { for: 'm-vnumber', i18n: 'ph.number' }),
    el('input', { type: 'text', id: 'm-vnumber', autocomplete: 'off', maxlength: 32, value: me ? me.id_number : '' }),
    el('label', { for: 'm-vname', i18n: 'ph.name' }),
    el('input', { type: 'text', id: 'm-vname', autocomplete: 'name', maxlength: 64, value: me ? me.name : '' })));
  if (bankNeeded) kids.push(el('fieldset', { id: 'm-bank' }, el('legend', { i18n: 'm.bank.title' }),
    el('label', { for: 'm-card', i18n: 'm.bank.card' }), el('input', { type: 'text', id: 'm-card', inputmode: 'numeric', autocomplete: 'off', maxlength: 19 }),
    el('label', { for: 'm-phone', i18n: 'm.bank.phone' }), el('input', { type: 'text', id: 'm-phone', inputmode: 'tel', autocomplete: 'off', maxlength: 11 })));
  kids.push(el('p', {}, el('input', { type: 'checkbox', id: 'm-sign-consent' }), ' ',
    el('label', { for: 'm-sign-consent', class: 'inline', i18n: 'm.sign.consent' })));
  kids.push(el('p', { class: 'muted', i18n: 'm.alt' }));
  kids.push(verdictBox());
  kids.push(el('p', {}, el('button', { type: 'button', id: 'm-confirm', onclick: () => {
    if (!document.getElementById('m-sign-consent').checked) { problem.show(prob, { key: 'ph.noconsent' }); return; }
    if (ask) me = { id_type: session.id_type || 'resident_id', id_number: document.getElementById('m-vnumber').value.trim().toUpperCase(),
                    name: document.getElementById('m-vname').value.trim() };
    const card = bankNeeded ? document.getElementById('m-card').value.trim() : '';
    const phone = bankNeeded ? document.getElementById('m-phone').value.trim() : '';
    act(async () => {
      const r = await faceCheck(matter, reference, card ? { bank_card: { card, phone } } : {});
      if (!r) return;
      const c = await onConfirm(r.id);
      sig = c.signature || null;
      await reloadItem();
      sig = c.signature || null;
      await loadPending();
    });
  } }, t('m.confirm'))));
  kids.push(el('label', { for: 'm-reason', i18n: 'm.refuse.reason' }),
    el('textarea', { id: 'm-reason', rows: 2, maxlength: 500 }),
    el('p', {}, el('button', { type: 'button', id: 'm-refuse', class: 'warn', onclick: () => {
      const reason = document.getElementById('m-reason').value.trim();
      if (!reason) { problem.show(prob, { key: 'm.reason.need' }); return; }
      act(async () => { await onRefuse(reason); await reloadItem(); await loadPending(); });
    } }, t('m.refuse'))));
  return el('div', { id: 'm-actions', 'data-kind': kind }, kids);
}
function submissionView(s) {
  const mine = (s.parties || []).find((p) => session && p.id_masked === session.id_masked);
  const kids = [
    el('p', {}, el('button', { type: 'button', id: 'm-back', onclick: () => { view = 'pending'; item = null; render(); } }, t('m.back'))),
    el('h2', { id: 'm-title' }, s.title), el('p', { class: 'muted' }, t('m.item.submission')),
    el('p', {}, T('kind.' + s.kind, s.kind), ' · ', t('ph.state'), '：',
      el('span', { id: 'm-state', class: 'pill' + (s.state === 'submitted' ? ' ok' : ''), 'data-state': s.state }, T('pstate.' + s.state, s.state)),
      mine ? [' · ', t('m.role'), '：', T('role.' + mine.role, mine.role)] : null),
    s.state === 'open' && s.expires_at ? el('p', { class: 'deadline' }, deadline(s.expires_at)) : null,
    s.state === 'submitted' ? el('p', { id: 'm-submitted', class: 'verdict ok' }, t('m.submitted', { at: s.submitted_at ? fmtTime(Date.parse(s.submitted_at)).slice(0, 16) : '' })) : null,
    el('h3', { i18n: 'm.materials' }), dl(s.document),
    el('table', { class: 'grid', id: 'm-parties' }, el('caption', { i18n: 'm.parties' }),
      el('thead', {}, el('tr', {}, ['m.col.role', 'ph.name', 'm.col.doc', 'ph.state', 'm.col.bank'].map((h) => el('th', { scope: 'col', i18n: h })))),
      el('tbody', {}, (s.parties || []).map((p) => el('tr', { 'data-seq': String(p.seq), 'data-state': p.state },
        el('td', {}, T('role.' + p.role, p.role), p === mine ? t('m.me') : ''), el('td', {}, p.name),
        el('td', {}, T('idtype.' + p.id_type, p.id_type) + ' ' + p.id_masked),
        el('td', {}, T('pstate.' + p.state, p.state) + (p.reason ? '：' + p.reason : '')),
        el('td', {}, p.bank_card_required ? t('m.yes') : t('m.no')))))),
    el('details', { id: 'm-signed', open: true }, el('summary', { i18n: 'm.signed.title' }),
      el('p', { class: 'small' }, t('m.hash') + '：' + (s.doc_hash || '')), el('pre', { class: 'small' }, pretty(s.signed_document))),
  ];
  if ((s.events || []).length) kids.push(el('h3', { i18n: 'm.events' }), el('ul', {}, s.events.map((e) => el('li', {}, noticeText(e)))));
  if (sig) kids.push(sigBox(sig));
  if (s.state === 'open' && mine && mine.state === 'pending')
    kids.push(actions('submission', s.kind, s.reference, mine.bank_card_required,
      (vid) => call('POST', `/v1/submissions/${s.id}/confirm`, { verification: vid }),
      (reason) => call('POST', `/v1/submissions/${s.id}/refuse`, { reason })));
  else if (mine && mine.state === 'signed') kids.push(el('p', { id: 'm-done', class: 'verdict ok' }, t('m.done.me')));
  else if (mine && mine.state === 'refused') kids.push(el('p', { id: 'm-done', class: 'verdict no' }, t('m.refused', { r: mine.reason || '' })));
  if (s.state === 'open' && (s.missing || []).length === 0)
    kids.push(el('p', {}, el('button', { type: 'button', id: 'm-submit',
      onclick: () => act(async () => { await call('POST', `/v1/submissions/${s.id}/submit`, {}); await reloadItem(); }) }, t('m.submit'))));
  return el('div', { id: 'm-item', 'data-type': 'submission', 'data-id': String(s.id) }, kids);
}
function delegationView(d) {
  const kids = [
    el('p', {}, el('button', { type: 'button', id: 'm-back', onclick: () => { view = 'pending'; item = null; render(); } }, t('m.back'))),
    el('h2', { id: 'm-title' }, d.note || T('kind.' + d.kind, d.kind)),
    el('p', { class: 'muted' }, t(d.kind === 'agreement' ? 'm.item.agreement' : 'm.item.delegation')),
    el('p', {}, t('ph.state'), '：', el('span', { id: 'm-state', class: 'pill', 'data-state': d.state }, T('pstate.' + d.state, d.state))),
    d.state === 'pending' && d.expires_at ? el('p', { class: 'deadline' }, deadline(d.expires_at)) : null,
    el('dl', { class: 'form' },
      el('dt', { i18n: 'ph.matter' }), el('dd', {}, d.matter || ''),
      el('dt', { i18n: 'm.role' }), el('dd', {}, T('role.' + (d.confirmer || {}).role, (d.confirmer || {}).role)),
      el('dt', { i18n: 'm.dlg.other' }), el('dd', {}, T('role.' + (d.other || {}).role, (d.other || {}).role) + ' ' + ((d.other || {}).name || '') + ' ' + ((d.other || {}).id_masked || '')),
      el('dt', { i18n: 'ph.note' }), el('dd', {}, d.note || '')),
    el('details', { id: 'm-signed', open: true }, el('summary', { i18n: 'm.signed.title' }), el('pre', { class: 'small' }, pretty(d.signed_document))),
  ];
  if (sig || d.signature) kids.push(sigBox(sig || (typeof d.signature === 'object' ? d.signature : null)));
  if (d.state === 'pending')
    kids.push(actions(d.kind, d.kind, 'dlg_' + d.id, false,
      (vid) => call('POST', `/v1/delegations/${d.id}/confirm`, { verification: vid }),
      (reason) => call('POST', `/v1/delegations/${d.id}/refuse`, { reason })));
  else if (d.reason) kids.push(el('p', {}, t('m.refused', { r: d.reason })));
  return el('div', { id: 'm-item', 'data-type': d.kind, 'data-id': String(d.id) }, kids);
}

// ---- the screen ----
function render() {
  if (box.hidden) return;
  if (!session) { body.replaceChildren(loginView()); return; }
  const tabs = el('div', { class: 'tabs', role: 'group' },
    el('button', { type: 'button', id: 'm-tab-pending', 'aria-current': view !== 'licences' ? 'page' : null,
      onclick: () => act(async () => { view = 'pending'; item = null; await loadPending(); }) }, t('m.tab.pending')),
    el('button', { type: 'button', id: 'm-tab-licences', 'aria-current': view === 'licences' ? 'page' : null,
      onclick: () => act(async () => { view = 'licences'; await licences.load(); }) }, t('m.tab.licences')),
    el('button', { type: 'button', id: 'm-tab-proxy', 'aria-current': view === 'proxy' ? 'page' : null,
      onclick: () => act(async () => { view = 'proxy'; await proxy.load(); }) }, t('ph.proxy')));
  const who = el('p', { id: 'm-who' }, t('m.who', { name: session.name, id: session.id_masked }), ' ',
    el('button', { type: 'button', id: 'm-logout', onclick: () => act(async () => {
      try { await call('POST', '/v1/citizen/logout', {}); } catch { /* the token is dropped anyway */ }
      setToken(null); session = null; me = null; pending = null; item = null; licences.clear(); proxy.clear(); request.clear();
    }) }, t('m.logout')));
  const content = view === 'licences' ? licences.view(fail, act)
    : view === 'proxy' ? proxy.view({ act, faceCheck, verdictBox, prob, clearVerdict: () => { verdict = null; } })
    : view === 'item' && item ? (item.type === 'submission' ? submissionView(item.data) : delegationView(item.data))
      : pendingView();
  body.replaceChildren(who, tabs, content);
}
document.addEventListener('langchange', render);
