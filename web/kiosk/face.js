// face.js -- the kiosk's 刷脸 login (issue 15), no physical keyboard:
//   1. the 18-character resident ID number on an on-screen keypad (digits,
//      X as the last character only, backspace, clear) and the name: the
//      API compares the name with the registry (实名) and a keypad cannot
//      write Chinese characters, so the name field is for the kiosk's
//      system touch keyboard (its pinyin/handwriting input). The kiosk never
//      offers the registry's name for a typed number: that would tell anyone
//      whose number it is.
//      The camera's picture is shown from the first screen (to stand right);
//      nothing is captured or sent before the consent.
//   2. the separate face consent, with the non-face ways at this kiosk
//      named (扫码 / 亮码) and offered as buttons;
//   3. POST /v1/verifications as the kiosk device (matter citizen_login,
//      levels 实名/实人/实证, liveness actions, consent face_processing) ->
//      the server's challenge shown one step at a time at the server's times
//      with timestamped frames (the phone's web/h5/challenge.js, imported)
//      -> .../frames;
//   4. passed: POST /v1/citizen/sessions {verification} -> the same
//      logged-in state as 扫码/亮码 (kiosk.js; token in memory only).
// Every refusal shows the API's zh/en reasons with their code and the
// next step: try again, or 扫码/亮码.
import { t, pick, extend, currentLang } from '../shared/i18n.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { call } from '../shared/api.js';
import { el } from '../shared/dom.js';
import * as challenge from '../h5/challenge.js';

const S = {
  'kf.title': ['刷脸登录：请输入本人居民身份证号码', 'Face login: enter your resident ID number'],
  'kf.number': ['身份证号码（18位）', 'Resident ID number (18 characters)'],
  'kf.count': ['已输入 {n}/18 位', '{n} of 18 entered'],
  'kf.keypad': ['号码键盘', 'Number keypad'],
  'kf.back': ['退格', 'Delete'],
  'kf.back.label': ['退格：删除最后一位', 'Delete the last character'],
  'kf.clear': ['清除', 'Clear'],
  'kf.clear.label': ['清除全部号码', 'Clear the whole number'],
  'kf.name': ['姓名（请用屏幕键盘输入）', 'Name (use the on-screen keyboard)'],
  'kf.name.why': ['姓名须与户籍登记一致；终端不会显示任何人的登记姓名。', 'The name must match the registry; the kiosk never shows anyone\'s registered name.'],
  'kf.next': ['下一步', 'Next'],
  'kf.noname': ['请输入姓名（与身份证一致）。', 'Enter your name (as on the ID card).'],
  'kf.consent.title': ['人脸信息处理单独同意', 'Separate consent to face processing'],
  'kf.consent': ['我单独同意本终端为本次登录采集我的人脸图像，并与公安登记照片比对；比对后图像即删除。',
                 'I separately agree that this kiosk captures my face for this login and compares it with my registry photo; the images are deleted after the decision.'],
  'kf.alt': ['不同意刷脸也可以：在本终端用手机“扫码登录”或“亮码登录”，或携带身份证到窗口办理。',
             'Without the face: log in at this kiosk by “Scan” or “Show code” with your phone, or bring your ID card to a window.'],
  'kf.go': ['同意并开始刷脸', 'Agree and start the face check'],
  'kf.noconsent': ['未同意人脸采集：请改用扫码登录或亮码登录。', 'No consent to the face check: please use Scan or Show code instead.'],
  'kf.checking': ['正在核验…', 'Checking…'],
  'kf.starting': ['正在准备动作提示，请正对摄像头…', 'Preparing the prompts; face the camera…'],
  'kf.refused': ['刷脸登录未通过', 'Face login not passed'],
  'kf.next.step': ['下一步：', 'Next step: '],
  'kf.next.default': ['请重新刷脸，或改用扫码登录、亮码登录。', 'Try the face check again, or log in by Scan or Show code.'],
  'kf.retry': ['重新刷脸', 'Try the face again'],
  'kf.useScan': ['改用扫码登录', 'Use Scan instead'],
  'kf.useShow': ['改用亮码登录', 'Use Show code instead'],
};
extend(S);

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'X', '0'];
let o = null;          // init options: {box, video, problem, gen(), loggedIn(c), scan(), show(), touch()}
let number = '';       // the typed number: memory only, wiped by stop()
let name = '';
let busy = false;
let epoch = 0;        // bumped by stop(): a face check still running is dropped
const ui = {};

export function init(opts) {
  o = opts;
  ui.video = o.video;
  ui.display = el('output', { id: 'kf-number', class: 'idnum', tabindex: '-1', 'aria-live': 'polite', 'data-i18n-label': 'kf.number', 'aria-label': t('kf.number') });
  ui.count = el('p', { id: 'kf-count', class: 'muted' });
  ui.pad = el('div', { id: 'kf-keypad', class: 'keypad', role: 'group', 'data-i18n-label': 'kf.keypad', 'aria-label': t('kf.keypad') },
    KEYS.map((k) => el('button', { type: 'button', class: 'key', 'data-key': k, onclick: () => press(k) }, k)),
    el('button', { type: 'button', class: 'key fn', id: 'kf-back', i18n: 'kf.back', 'data-i18n-label': 'kf.back.label', 'aria-label': t('kf.back.label'), onclick: () => press('back') }),
    el('button', { type: 'button', class: 'key fn', id: 'kf-clear', i18n: 'kf.clear', 'data-i18n-label': 'kf.clear.label', 'aria-label': t('kf.clear.label'), onclick: () => press('clear') }));
  ui.name = el('input', { type: 'text', id: 'kf-name', autocomplete: 'off', maxlength: 64, inputmode: 'text' });
  ui.keyBox = el('div', { id: 'kf-keys' },
    el('h3', { i18n: 'kf.title' }),
    el('p', { class: 'idrow' }, el('span', { class: 'lbl', i18n: 'kf.number' }), ' ', ui.display), ui.count, ui.pad,
    el('label', { for: 'kf-name', i18n: 'kf.name' }), ui.name,
    el('p', { class: 'muted', i18n: 'kf.name.why' }),
    el('p', {}, el('button', { type: 'button', class: 'big', id: 'kf-next', i18n: 'kf.next', onclick: next })));
  ui.consent = el('input', { type: 'checkbox', id: 'kf-consent' });
  ui.consentBox = el('div', { id: 'kf-consent-box', hidden: true },
    el('h3', { i18n: 'kf.consent.title' }),
    el('p', {}, ui.consent, ' ', el('label', { for: 'kf-consent', class: 'inline', i18n: 'kf.consent' })),
    el('p', { class: 'muted', id: 'kf-alt', i18n: 'kf.alt' }),
    el('p', { class: 'row' }, el('button', { type: 'button', class: 'big', id: 'kf-go', i18n: 'kf.go', onclick: go }),
      altButtons()));
  ui.prompt = el('p', { id: 'kf-prompt', class: 'prompt', 'aria-live': 'assertive' });
  ui.digit = el('div', { id: 'kf-digit', class: 'digit', 'aria-live': 'assertive' });
  ui.countdown = el('p', { id: 'kf-countdown', class: 'muted', 'aria-live': 'off' });
  ui.checkBox = el('div', { id: 'kf-check', hidden: true }, ui.prompt, ui.digit, ui.countdown);
  ui.verdict = el('div', { id: 'kf-verdict', class: 'verdict no', 'aria-live': 'polite', hidden: true });
  o.box.replaceChildren(ui.keyBox, ui.consentBox, ui.checkBox, ui.verdict);
  document.addEventListener('langchange', render);
  render();
}
function altButtons() {
  return [el('button', { type: 'button', class: 'big alt-scan', i18n: 'kf.useScan', onclick: () => o.scan() }),
          el('button', { type: 'button', class: 'big alt-show', i18n: 'kf.useShow', onclick: () => o.show() })];
}
function render() {
  if (!ui.display) return;
  // grouped 6-8-4 (area, birth date, sequence + check) for checking by eye
  ui.display.textContent = number ? [number.slice(0, 6), number.slice(6, 14), number.slice(14)].filter(Boolean).join(' ') : '—';
  ui.display.dataset.value = number;
  ui.count.textContent = t('kf.count', { n: number.length });
  ui.pad.querySelectorAll('button.key[data-key]').forEach((b) => {
    const k = b.dataset.key;
    b.disabled = number.length >= 18 || (k === 'X' && number.length !== 17);
  });
  ui.pad.querySelector('#kf-back').disabled = !number.length;
  ui.pad.querySelector('#kf-clear').disabled = !number.length;
}
function press(k) {
  problem.hide(o.problem);
  if (k === 'back') number = number.slice(0, -1);
  else if (k === 'clear') number = '';
  else if (number.length < 18 && (k !== 'X' || number.length === 17)) number += k;
  render();
}
function show(which) {
  o.box.dataset.stage = which;
  ui.keyBox.hidden = which !== 'keys';
  ui.consentBox.hidden = which !== 'consent';
  ui.checkBox.hidden = which !== 'check';
  ui.verdict.hidden = which !== 'verdict';
}
// the face login's first screen
export function start() {
  stop();
  o.box.hidden = false;
  show('keys');
  preview();
  ui.display.focus();
}
// the kiosk camera's picture from the first screen on, so the person can
// stand right while typing: it stays in the page, no frame is taken or
// sent before the consent tick (go())
let opening = null;
function camera() {
  if (o.video.srcObject) return Promise.resolve();
  if (!opening) opening = cam.open(o.video, 'user').finally(() => { opening = null; });
  return opening;
}
function preview() {
  const g = o.gen(), my = epoch;
  o.video.hidden = false;
  camera().then(() => { if (g !== o.gen() || my !== epoch) cam.close(o.video); },
    () => { if (g === o.gen() && my === epoch) { o.video.hidden = true; problem.show(o.problem, { key: 'err.camera' }); } });
}
// leaves the face login: the typed number and name are dropped
export function stop() {
  if (!o) return;
  epoch++;
  number = ''; name = ''; busy = false;
  ui.name.value = ''; ui.consent.checked = false;
  ui.verdict.replaceChildren();
  ui.prompt.textContent = ''; ui.digit.textContent = ''; ui.countdown.textContent = '';
  o.box.hidden = true;
  render();
}
function next() {
  problem.hide(o.problem);
  if (number.length !== 18) {
    refuseHere('kiosk_id_length', LEN[0].replace('{n}', number.length), LEN[1].replace('{n}', number.length));
    return;
  }
  name = ui.name.value.trim();
  if (!name) { refuseHere('kiosk_name', ...both('kf.noname')); return; }
  show('consent');
  ui.consent.focus();
}
// a client-side refusal in both languages, shaped like the API's
function refuseHere(code, zh, en) { problem.show(o.problem, { problem: { code, zh, en } }); }
const both = (key) => S[key];   // [zh, en]
const LEN = ['身份证号码应为18位，您输入了 {n} 位：请补全或清除后重新输入。',
             'A resident ID number has 18 characters; you entered {n}: complete it or clear it and start again.'];

async function go() {
  problem.hide(o.problem);
  if (!ui.consent.checked) { refuseHere('kiosk_face_consent', ...both('kf.noconsent')); return; }
  if (busy) return;
  busy = true;
  const g = o.gen(), my = epoch;
  const gone = () => g !== o.gen() || my !== epoch;
  show('check');
  ui.prompt.textContent = t('kf.starting');
  o.video.hidden = false;
  let result = null, err = null;
  try {
    try { await camera(); } catch { throw Object.assign(new Error('camera'), { key: 'err.camera' }); }
    if (gone()) return;
    const v = await call('POST', '/v1/verifications', { id_type: 'resident_id', id_number: number, name,
      levels: ['real_name', 'real_person', 'real_document'], liveness: 'actions', matter: 'citizen_login',
      reference: 'kiosk-login-' + Date.now().toString(36), consent: { face_processing: true } }, { device: true });
    if (gone()) return;
    result = v;
    if (v.status !== 'decided') {
      o.touch();
      const frames = await challenge.run(v.challenge || { steps: [], issued_at: 0 }, ui);
      if (gone()) return;
      o.touch();
      ui.prompt.textContent = t('kf.checking');
      result = await call('POST', `/v1/verifications/${v.id}/frames`, { frames }, { device: true });
      if (gone()) return;
    }
    if (result.passed) {
      const s = await call('POST', '/v1/citizen/sessions', { verification: result.id }, { device: true });
      if (gone()) return;
      cam.close(o.video); o.video.hidden = true;
      stop();
      o.loggedIn(s);
      return;
    }
  } catch (e) {
    err = e;
  } finally {
    if (!gone()) { cam.close(o.video); o.video.hidden = true; }
    busy = false;
  }
  if (gone()) return;
  refused(result, err);
}
// a refusal: the verdict's reasons or the API's problem (zh/en, code), the
// next step, and the ways on: try again, 扫码, 亮码
function refused(r, e) {
  ui.prompt.textContent = ''; ui.digit.textContent = ''; ui.countdown.textContent = '';
  if (e) problem.show(o.problem, e);
  const reasons = (r && r.reasons) || [];
  const zh = currentLang() === 'zh';
  ui.verdict.replaceChildren(
    el('h3', { i18n: 'kf.refused' }),
    reasons.length ? el('ul', { class: 'reasons' }, reasons.map((x) => el('li', { 'data-code': x.code }, pick(x) + ' [' + x.code + '] ',
      el('span', { class: 'other', lang: zh ? 'en' : 'zh-CN' }, zh ? x.en : x.zh)))) : null,
    el('p', { id: 'kf-nextstep' }, t('kf.next.step') + (r && r.next_step ? pick(r.next_step) : t('kf.next.default'))),
    el('p', { class: 'row' }, el('button', { type: 'button', class: 'big', id: 'kf-retry', i18n: 'kf.retry', onclick: retry }), altButtons()));
  ui.verdict.dataset.passed = 'false';
  show('verdict');
  ui.verdict.querySelector('#kf-retry').focus();
}
// try again: the number and name stay, the consent is asked again
function retry() {
  problem.hide(o.problem);
  ui.consent.checked = false;
  ui.verdict.replaceChildren();
  show('keys');
  preview();
}
