// kiosk.js -- the 24-hour kiosk: attract screen, login choices, and the
// idle timeout that clears the screen and anything held in memory
// (?idle=MS overrides the 60 s default, for tests).
import { initToggle, t } from '../shared/i18n.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { setToken } from '../shared/api.js';

const $ = (id) => document.getElementById(id);
initToggle();
const q = new URLSearchParams(location.search);
const IDLE_MS = Math.max(1000, Number(q.get('idle')) || 60000);
let timer = null;
let gen = 0;   // bumped by every clear: a camera that opens after it is closed at once

function clearAll(idle) {
  gen++;
  cam.close($('cam')); $('cam').hidden = true;
  $('pane').replaceChildren(); problem.hide($('problem'));
  setToken(null);
  $('menu').hidden = true; $('attract').hidden = false;
  $('idle-note').hidden = !idle;
}
function touch() {
  clearTimeout(timer);
  if (!$('menu').hidden) timer = setTimeout(() => clearAll(true), IDLE_MS);
}
['pointerdown', 'keydown'].forEach((e) => document.addEventListener(e, touch, true));
$('attract').addEventListener('click', () => {
  $('attract').hidden = true; $('menu').hidden = false; $('idle-note').hidden = true; touch();
});
$('home').addEventListener('click', () => clearAll(false));
function note(key) {
  const p = document.createElement('p'); p.dataset.i18n = key; p.textContent = t(key);
  $('pane').replaceChildren(p);
}
// 扫码 / 亮码 wait for the identity-code service (issue 11): said honestly.
$('m-scan').addEventListener('click', () => note('kiosk.pending'));
$('m-show').addEventListener('click', () => note('kiosk.pending'));
$('m-face').addEventListener('click', async () => {
  problem.hide($('problem'));
  const g = gen;
  try {
    $('cam').hidden = false;
    await cam.open($('cam'));
    if (g !== gen) { cam.close($('cam')); $('cam').hidden = true; return; }
    note('kiosk.facecheck');
  } catch {
    if (g === gen) problem.show($('problem'), { key: 'err.camera' });
  }
});
