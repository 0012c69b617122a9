// h5.js -- the citizen's phone page: separate consents (the face one
// optional, the non-face way always shown), then the digit challenge with
// the front camera: each digit shown for its time, frames captured with
// timestamps (sent once the verification API is available: issue 10).
import { initToggle, t } from '../shared/i18n.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';

const $ = (id) => document.getElementById(id);
initToggle();
const q = new URLSearchParams(location.search);
const STEP_MS = Math.max(200, Number(q.get('step')) || 1500);
let frames = [];

$('next').addEventListener('click', () => {
  problem.hide($('problem'));
  if (!$('c-face').checked) { problem.show($('problem'), { key: 'h5.noface' }); return; }
  $('consent').hidden = true; $('challenge').hidden = false;
});
$('start').addEventListener('click', async () => {
  problem.hide($('problem'));
  try { await cam.open($('cam'), 'user'); } catch { problem.show($('problem'), { key: 'err.camera' }); return; }
  $('start').disabled = true; frames = [];
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b % 10);
  for (const d of digits) {
    $('digit').textContent = String(d);
    const shown = Math.round(performance.now());
    await new Promise((ok) => setTimeout(ok, STEP_MS / 2));
    frames.push({ ...cam.capture($('cam'), 0.8), digit: d, shown_ms: shown });
    await new Promise((ok) => setTimeout(ok, STEP_MS / 2));
  }
  $('digit').textContent = '';
  cam.close($('cam'));
  $('done').textContent = t('h5.challenge.done', { n: frames.length });
});
