// scan.js -- the phone's side of the kiosk login (seed 003), with the
// citizen's session (the government app hands it to this page in the URL
// fragment, #citizen=TOKEN, removed at once and kept in memory only):
//   扫一扫: the rear camera's frames -> POST /v1/kiosk/logins/scan (the
//           server finds the QR); the page shows which kiosk and hall it is
//           about to log in, and only on the citizen's confirmation gets a
//           login code (POST /v1/id-codes {purpose: login, hall}) and
//           approves (POST /v1/kiosk/logins/approve)
//   我的电子身份码 (亮码): POST /v1/id-codes -> the QR, large, with its
//           countdown; a new code 10 s before expiry
// Loaded before h5.js (it reads the fragment first; h5.js then drops it).
import { t, extend } from '../shared/i18n.js';
import { call, setToken, hasToken } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { el } from '../shared/dom.js';

extend({
  'me.nav': ['我的', 'Mine'],
  'me.scan': ['扫一扫', 'Scan'],
  'me.code': ['我的电子身份码（亮码）', 'My identity code (show)'],
  'me.scan.hint': ['请将终端屏幕上的二维码放入取景框', 'Point the camera at the QR code on the kiosk screen'],
  'me.scan.cam': ['后置摄像头', 'Rear camera'],
  'me.scan.confirm': ['即将登录：{hall} · {kiosk}。确认是您本人在该终端前操作吗？', 'About to log in at: {hall} · {kiosk}. Are you at that kiosk yourself?'],
  'me.scan.yes': ['确认登录', 'Confirm login'],
  'me.scan.no': ['取消', 'Cancel'],
  'me.scan.done': ['已确认，终端已登录。办理完毕请在终端上退出。', 'Confirmed: the kiosk is logged in. Log out on the kiosk when you are done.'],
  'me.code.hint': ['请将二维码对准终端摄像头。每个码只能使用一次。', 'Hold this code to the kiosk camera. Each code works once.'],
  'me.code.left': ['{s} 秒后自动刷新', 'Refreshes in {s} s'],
  'me.code.img': ['电子身份码二维码', 'Identity code QR'],
  'me.close': ['关闭', 'Close'],
  'me.nosession': ['请先在政务App中完成人脸核验登录。', 'Log in with the face check in the government app first.'],
});
const $ = (id) => document.getElementById(id);
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('citizen')) {
  setToken(frag.get('citizen'));
  if (!frag.get('device')) history.replaceState(null, '', location.pathname + location.search);
}
let gen = 0;
let loop = null;
let refresh = null;
function stop() {
  gen++;
  clearTimeout(loop); loop = null; clearTimeout(refresh); refresh = null;
  cam.close($('me-cam')); $('me-cam').hidden = true;
  $('me-pane').replaceChildren(); problem.hide($('me-problem'));
}
function open() {
  stop();
  ['consent', 'apply', 'challenge', 'result', 'progress'].forEach((id) => { const s = $(id); if (s) s.hidden = true; });
  $('me').hidden = false;
  return gen;
}
if (hasToken()) $('me-nav').hidden = false;

// ---- 扫一扫 ----
$('me-scan').addEventListener('click', async () => {
  const g = open();
  $('me-pane').append(el('p', { class: 'prompt', i18n: 'me.scan.hint' }));
  $('me-cam').hidden = false;
  try { await cam.open($('me-cam'), 'environment'); } catch { if (g === gen) problem.show($('me-problem'), { key: 'err.camera' }); return; }
  if (g !== gen) { cam.close($('me-cam')); return; }
  const look = async () => {
    if (g !== gen) return;
    const f = cam.capture($('me-cam'), 0.92);
    try {
      const s = await call('POST', '/v1/kiosk/logins/scan', { image: f.image });
      if (g !== gen) return;
      cam.close($('me-cam')); $('me-cam').hidden = true;
      confirmLogin(g, s);
      return;
    } catch (e) {
      if (g !== gen) return;
      if (!(e.problem && e.problem.code === 'idcode_no_qr')) problem.show($('me-problem'), e);
    }
    loop = setTimeout(look, 600);
  };
  loop = setTimeout(look, 300);
});
function confirmLogin(g, s) {
  const kiosk = (s.kiosk && (s.kiosk.label || s.kiosk.device)) || '';
  const hall = (s.hall && s.hall.name) || '';
  const q = el('p', { id: 'me-confirm', class: 'prompt' }, t('me.scan.confirm', { hall, kiosk }));
  q.dataset.hall = hall; q.dataset.kiosk = kiosk;
  const yes = el('button', { type: 'button', id: 'me-yes', class: 'big', i18n: 'me.scan.yes' });
  const no = el('button', { type: 'button', id: 'me-no', class: 'big', i18n: 'me.scan.no' });
  $('me-pane').replaceChildren(q, el('p', { class: 'row' }, yes, no));
  no.addEventListener('click', stop);
  yes.addEventListener('click', async () => {
    yes.disabled = true; problem.hide($('me-problem'));
    try {
      const c = await call('POST', '/v1/id-codes', { purpose: 'login', hall: s.hall.id });
      await call('POST', '/v1/kiosk/logins/approve', { login: s.login, code: c.code });
      if (g !== gen) return;
      $('me-pane').replaceChildren(el('p', { id: 'me-done', class: 'verdict ok', i18n: 'me.scan.done' }));
    } catch (e) { if (g === gen) { yes.disabled = false; problem.show($('me-problem'), e); } }
  });
}

// ---- 亮码: my identity code, refreshed before it expires ----
$('me-code').addEventListener('click', () => { const g = open(); showCode(g); });
async function showCode(g) {
  let c;
  try { c = await call('POST', '/v1/id-codes', {}); } catch (e) { if (g === gen) problem.show($('me-problem'), e); return; }
  if (g !== gen) return;
  // the code's life from the server's own times (the phone's clock may differ)
  const life = Math.max(5000, Date.parse(c.expires_at) - Date.parse(c.issued_at));
  const until = Date.now() + life;
  const img = el('img', { id: 'me-code-img', class: 'qr-phone', src: 'data:image/png;base64,' + c.qr_png, alt: t('me.code.img') });
  const left = el('p', { id: 'me-code-left', class: 'muted', 'aria-live': 'off' });
  $('me-pane').replaceChildren(el('p', { class: 'prompt', i18n: 'me.code.hint' }), img, left);
  const tick = () => {
    if (g !== gen) return;
    const s = Math.round((until - Date.now()) / 1000);
    left.textContent = t('me.code.left', { s: Math.max(0, s - 10) });
    if (s <= 10) { showCode(g); return; }
    refresh = setTimeout(tick, 1000);
  };
  tick();
}
document.addEventListener('langchange', () => {
  const q = document.getElementById('me-confirm');
  if (q) q.textContent = t('me.scan.confirm', { hall: q.dataset.hall, kiosk: q.dataset.kiosk });
});
$('me-close').addEventListener('click', () => { stop(); $('me').hidden = true; });
