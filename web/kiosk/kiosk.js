// kiosk.js -- the 24-hour kiosk (seed 003): attract screen; login by
//   扫码: POST /v1/kiosk/logins -> the session's QR, large; the outcome from
//         its event stream (fallback: polling GET /v1/kiosk/logins/{id});
//         once approved the poll carries the citizen session token
//   亮码: the kiosk camera's frames -> POST /v1/id-codes/verify
//         {image, session: true}: the server finds the QR (libzbar), takes
//         the single-use code and opens the citizen session
//   刷脸: face.js: the ID number on an on-screen keypad, the separate face
//         consent, a citizen_login verification with the server's liveness
//         challenge -> POST /v1/citizen/sessions
// then the matters this kiosk offers (catalogue channel "kiosk"), the
// 房查证明 with the citizen's consent, printed with window.print() (the
// print stylesheet leaves only the certificate), logout. The token is held
// in memory only; logout and the idle timeout (60 s; ?idle=MS for tests)
// revoke it on the server and clear the screen and the camera.
// The kiosk's own device credential comes in the URL fragment
// (#device=ID:KEY) and is kept in memory.
import { initToggle, t, pick, extend } from '../shared/i18n.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import * as sse from '../shared/sse.js';
import { call, setToken, hasToken, setDevice, hasDevice } from '../shared/api.js';
import { el } from '../shared/dom.js';
import * as face from './face.js';

extend({
  'kiosk.scan.hint': ['请打开手机政务App，点击“扫一扫”扫描下方二维码', 'Open the government app on your phone, tap “Scan” and scan the code below'],
  'kiosk.scan.qr': ['扫码登录二维码', 'Login QR code'],
  'kiosk.scan.wait': ['等待手机确认…（{s} 秒内有效）', 'Waiting for your phone to confirm… (valid {s} s)'],
  'kiosk.scan.renew': ['二维码已过期，已自动更新。', 'The code expired and was renewed.'],
  'kiosk.show.hint': ['请在手机上打开“我的电子身份码”，将二维码对准摄像头', 'Open “My identity code” on your phone and hold the QR code to the camera'],
  'kiosk.show.looking': ['正在识别二维码…', 'Looking for the QR code…'],
  'kiosk.camera': ['终端摄像头', 'Kiosk camera'],
  'kiosk.welcome': ['{name}，您好', 'Hello, {name}'],
  'kiosk.matters': ['本终端可办理的事项', 'Matters available at this kiosk'],
  'kiosk.do': ['办理', 'Start'],
  'kiosk.elsewhere': ['请在手机或窗口办理', 'Use the phone service or a window'],
  'kiosk.pc.title': ['房查证明（不动产登记信息查询证明）', 'Property-record certificate'],
  'kiosk.pc.consent': ['我同意本次查询使用我的身份信息、我及配偶名下的不动产登记信息和婚姻登记信息。',
                       'I agree to this look-up using my identity, my and my spouse\'s property records and our marriage record.'],
  'kiosk.pc.alt': ['不同意也可携带身份证、结婚证到窗口办理。', 'If you do not agree, bring your ID card and marriage certificate to a service window.'],
  'kiosk.pc.go': ['查询并开具证明', 'Look up and issue the certificate'],
  'kiosk.pc.print': ['打印证明', 'Print the certificate'],
  'kiosk.pc.doc': ['不动产登记信息查询证明', 'Certificate of real-estate records'],
  'kiosk.pc.serial': ['证明编号', 'Serial'],
  'kiosk.pc.holder': ['申请人', 'Applicant'],
  'kiosk.pc.id': ['证件号码', 'ID number'],
  'kiosk.pc.props': ['名下不动产', 'Real estate held'],
  'kiosk.pc.spouse': ['配偶', 'Spouse'],
  'kiosk.pc.none': ['无登记记录', 'None registered'],
  'kiosk.pc.count': ['{n} 处', '{n}'],
  'kiosk.pc.issued': ['出具时间', 'Issued at'],
  'kiosk.pc.verify': ['核验：', 'Verify:'],
  'kiosk.logout': ['退出登录', 'Log out'],
  'kiosk.nodevice': ['本终端未登记：请由管理员以终端凭据打开本页面。', 'This kiosk is not registered: an administrator must open the page with the kiosk credential.'],
});
const $ = (id) => document.getElementById(id);
initToggle();
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('device')) { setDevice(frag.get('device')); history.replaceState(null, '', location.pathname + location.search); }
const q = new URLSearchParams(location.search);
const IDLE_MS = Math.max(1000, Number(q.get('idle')) || 60000);
let timer = null;
let gen = 0;          // bumped by every clear: late answers of an old screen are dropped
let stream = null;    // the 扫码 event stream
let poll = null;      // its polling fallback
let shown = null;     // the 亮码 capture loop
let who = null;       // the citizen: {person_id, name, expires_at}
let cert = null;      // the certificate on screen

function stopWaiting() {
  if (stream) { stream.close(); stream = null; }
  clearTimeout(poll); poll = null;
  clearTimeout(shown); shown = null;
  cam.close($('cam')); $('cam').hidden = true;
  $('scan-box').hidden = true; $('show-box').hidden = true;
  $('scan-qr').removeAttribute('src');
  face.stop();
}
function clearAll(idle) {
  gen++;
  stopWaiting();
  // the session ends on the server too (the old token is refused afterwards)
  if (hasToken()) {
    document.body.dataset.session = 'closing';
    call('POST', '/v1/citizen/logout')
      .then(() => { if (!hasToken()) document.body.dataset.session = 'closed'; },
            () => { if (!hasToken()) document.body.dataset.session = 'logout-failed'; });
  }
  setToken(null); who = null; cert = null;
  $('pane').replaceChildren(); problem.hide($('problem')); problem.hide($('s-problem'));
  $('matters').replaceChildren(); $('welcome').textContent = '';
  $('cert-body').replaceChildren(); $('cert-qr').replaceChildren(); $('cert-url').textContent = ''; $('cert-code').textContent = '';
  $('pc-consent').checked = false;
  $('menu').hidden = true; $('session').hidden = true; $('cert').hidden = true; $('pc-box').hidden = true; $('pc-print').hidden = true;
  document.body.classList.remove('print-doc');
  $('attract').hidden = false;
  $('idle-note').hidden = !idle;
}
function active() { return !$('menu').hidden || !$('session').hidden; }
function touch() {
  clearTimeout(timer);
  if (active()) timer = setTimeout(() => clearAll(true), IDLE_MS);
}
['pointerdown', 'keydown'].forEach((e) => document.addEventListener(e, touch, true));
$('attract').addEventListener('click', () => {
  $('attract').hidden = true; $('menu').hidden = false; $('idle-note').hidden = true; touch();
});
$('home').addEventListener('click', () => clearAll(false));
$('logout').addEventListener('click', () => clearAll(false));
function note(key) {
  const p = document.createElement('p'); p.dataset.i18n = key; p.textContent = t(key);
  $('pane').replaceChildren(p);
}
function needDevice() {
  if (hasDevice()) return true;
  problem.show($('problem'), { key: 'kiosk.nodevice' });
  return false;
}

// ---- 扫码: the kiosk shows a QR, the phone approves ----
async function scanStart() {
  stopWaiting(); problem.hide($('problem')); $('pane').replaceChildren();
  if (!needDevice()) return;
  const g = gen;
  let login;
  try { login = await call('POST', '/v1/kiosk/logins', undefined, { device: true }); } catch (e) { if (g === gen) problem.show($('problem'), e); return; }
  if (g !== gen) return;
  const left = Date.parse(login.expires_at) - Date.now();
  const ttl = Math.max(10, Math.round((left > 0 && left < 600000 ? left : 120000) / 1000));
  const until = Date.now() + ttl * 1000;
  $('scan-qr').src = 'data:image/png;base64,' + login.qr_png;
  $('scan-qr').alt = t('kiosk.scan.qr');
  $('scan-qr').dataset.login = login.id;
  $('scan-box').hidden = false;
  const tick = () => { $('scan-state').textContent = t('kiosk.scan.wait', { s: Math.max(0, Math.round((until - Date.now()) / 1000)) }); };
  tick();
  let done = false;
  const check = async () => {
    if (done || g !== gen) return;
    let s;
    try { s = await call('GET', '/v1/kiosk/logins/' + encodeURIComponent(login.id), undefined, { device: true }); }
    catch (e) { if (g === gen) problem.show($('problem'), e); return; }
    if (done || g !== gen) return;
    if (s.state === 'approved' && s.citizen && s.citizen.token) { done = true; loggedIn(s.citizen); return; }
    if (s.state === 'expired' || Date.now() > until) { done = true; note('kiosk.scan.renew'); scanStart(); return; }
  };
  stream = sse.open('/v1/kiosk/logins/' + encodeURIComponent(login.id) + '/events',
    (name) => { if (name === 'approved') check(); }, () => {});
  const loop = async () => { tick(); await check(); if (!done && g === gen) poll = setTimeout(loop, 2000); };
  poll = setTimeout(loop, 2000);
}
$('m-scan').addEventListener('click', scanStart);

// ---- 亮码: the kiosk camera reads the phone's identity code ----
$('m-show').addEventListener('click', async () => {
  stopWaiting(); problem.hide($('problem')); $('pane').replaceChildren();
  if (!needDevice()) return;
  const g = gen;
  $('show-box').hidden = false; $('cam').hidden = false;
  $('show-state').textContent = t('kiosk.show.looking');
  try {
    await cam.open($('cam'));
    if (g !== gen) { cam.close($('cam')); return; }
  } catch { if (g === gen) problem.show($('problem'), { key: 'err.camera' }); return; }
  const look = async () => {
    if (g !== gen) return;
    const f = cam.capture($('cam'), 0.92);
    try {
      const r = await call('POST', '/v1/id-codes/verify', { image: f.image, session: true }, { device: true });
      if (g !== gen) return;
      if (r.citizen && r.citizen.token) { loggedIn(r.citizen); return; }
    } catch (e) {
      if (g !== gen) return;
      // no QR in this frame: keep looking; anything else: its reason, then keep looking
      if (!(e.problem && e.problem.code === 'idcode_no_qr')) problem.show($('problem'), e);
    }
    shown = setTimeout(look, 700);
  };
  shown = setTimeout(look, 300);
});
// ---- 刷脸: ID number on the keypad, consent, liveness challenge (face.js) ----
face.init({ box: $('face-box'), video: $('cam'), problem: $('problem'), gen: () => gen, loggedIn, touch,
  scan: () => $('m-scan').click(), show: () => $('m-show').click() });
$('m-face').addEventListener('click', () => {
  stopWaiting(); problem.hide($('problem')); $('pane').replaceChildren();
  face.start();   // the keypad works offline; without a device the kiosk says so at once
  needDevice();
});

// ---- logged in: matters, 房查证明, print ----
async function loggedIn(c) {
  stopWaiting();
  setToken(c.token);
  document.body.dataset.session = 'open';
  who = c;
  $('menu').hidden = true; $('session').hidden = false; problem.hide($('problem'));
  $('welcome').dataset.name = c.name || '';
  $('welcome').textContent = t('kiosk.welcome', { name: c.name || '' });
  touch();
  const g = gen;
  try {
    const ms = ((await call('GET', '/v1/matters')).matters || []).filter((m) => (m.channels || []).includes('kiosk'));
    if (g !== gen) return;
    $('matters').replaceChildren(...ms.map((m) => el('li', { 'data-code': m.code }, el('span', { class: 'mname' }, pick(m.name)), ' ',
      m.code === 'bdc.fangcha_zhengming'
        ? el('button', { type: 'button', class: 'do', 'data-code': m.code, onclick: () => { $('pc-box').hidden = false; $('pc-consent').focus(); } }, t('kiosk.do'))
        : el('span', { class: 'muted', i18n: 'kiosk.elsewhere' }))));
    $('matters').dataset.lang = document.documentElement.lang;
    matterNames = ms;
  } catch (e) { if (g === gen) problem.show($('s-problem'), e); }
}
let matterNames = [];
document.addEventListener('langchange', () => {
  if (who) $('welcome').textContent = t('kiosk.welcome', { name: who.name || '' });
  $('matters').querySelectorAll('li').forEach((li) => {
    const m = matterNames.find((x) => x.code === li.dataset.code);
    if (m) li.querySelector('.mname').textContent = pick(m.name);
    const b = li.querySelector('button.do'); if (b) b.textContent = t('kiosk.do');
  });
  if (cert) renderCert(cert);
  if (!$('scan-box').hidden) $('scan-state').textContent = '';
});

$('pc-go').addEventListener('click', async () => {
  problem.hide($('s-problem'));
  const g = gen;
  $('pc-go').disabled = true;
  try {
    const r = await call('POST', '/v1/property-certificates', { consent: { licence_use: $('pc-consent').checked } });
    if (g !== gen) return;
    cert = r; renderCert(r);
    $('cert').hidden = false; $('pc-print').hidden = false;
    document.body.classList.add('print-doc');
  } catch (e) { if (g === gen) problem.show($('s-problem'), e); }
  finally { $('pc-go').disabled = false; }
});
function maskName(n) { return n ? n.slice(0, 1) + '*'.repeat(Math.max(1, [...n].length - 1)) : ''; }
function props(p) {
  if (!p || !p.count) return t('kiosk.pc.none');
  return [t('kiosk.pc.count', { n: p.count }), p.cert_no, p.address, p.area_m2 ? p.area_m2 + ' m²' : null, p.registered_on].filter(Boolean).join('；');
}
function renderCert(c) {
  const row = (k, v, id) => [el('dt', { i18n: k }), el('dd', id ? { id } : {}, v)];
  const h = c.holder || {};
  $('cert-body').replaceChildren(
    ...row('kiosk.pc.serial', c.serial, 'cert-serial'),
    ...row('kiosk.pc.holder', c.holder_masked_name || maskName(h.name), 'cert-holder'),
    ...row('kiosk.pc.id', h.id_masked || ''),
    ...row('kiosk.pc.props', props(h.properties)),
    ...(c.spouse ? row('kiosk.pc.spouse', maskName(c.spouse.name) + ' ' + (c.spouse.id_masked || '') + '：' + props(c.spouse.properties)) : []),
    ...row('kiosk.pc.issued', new Date(c.issued_at).toLocaleString(document.documentElement.lang), 'cert-issued'));
  const url = location.origin + '/web/kiosk/check.html';
  $('cert-url').textContent = url;
  $('cert-code').textContent = c.qr;
  $('cert-qr').replaceChildren();
  if (c.qr_svg) {
    const d = new DOMParser().parseFromString(c.qr_svg, 'image/svg+xml');
    const svg = d.documentElement;
    if (svg && svg.nodeName === 'svg') {
      svg.removeAttribute('style');
      svg.querySelectorAll('[style]').forEach((n) => n.removeAttribute('style'));
      svg.setAttribute('class', 'qr'); svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'QR');
      $('cert-qr').append(document.importNode(svg, true));
    }
  }
}
$('pc-print').addEventListener('click', () => window.print());
