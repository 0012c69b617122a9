// console.js -- the window clerk's console: staff login (bearer token in
// memory), the window camera, the 1:1 check against an ID/file photo with
// the verdict (score, threshold, FAR) or the refusal's zh/en reason.
import { initToggle, t } from '../shared/i18n.js';
import { call, setToken, fileB64 } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';

const $ = (id) => document.getElementById(id);
initToggle();
let refB64 = null;
let last = null;   // last verdict, re-rendered on a language change

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('problem'));
  try {
    const r = await call('POST', '/v1/auth/login', { username: $('user').value, password: $('pass').value });
    setToken(r.token);
    const me = await call('GET', '/v1/auth/me');
    $('who').textContent = t('login.as') + (me.username || $('user').value);
    $('pass').value = '';
    $('login').hidden = true; $('verify').hidden = false; $('logout').hidden = false;
  } catch (e) {
    $('verify').hidden = false;
    problem.show($('problem'), e);
  }
});
$('logout').addEventListener('click', async () => {
  try { await call('POST', '/v1/auth/logout'); } catch { /* gone already */ }
  setToken(null); cam.close($('cam'));
  location.reload();
});
$('ref').addEventListener('change', async () => {
  const f = $('ref').files[0];
  if (!f) return;
  refB64 = await fileB64(f);
  $('ref-preview').src = URL.createObjectURL(f); $('ref-preview').hidden = false;
});
$('cam-on').addEventListener('click', async () => {
  problem.hide($('problem'));
  try { await cam.open($('cam')); $('check').disabled = false; } catch {
    problem.show($('problem'), { key: 'err.camera' });
  }
});
function render() {
  const v = $('verdict');
  if (!last) { v.hidden = true; return; }
  v.hidden = false;
  v.className = 'verdict ' + (last.match ? 'ok' : 'no');
  const fmt = (x, d) => (typeof x === 'number' ? x.toFixed(d) : '—');
  v.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = t(last.match ? 'verdict.match' : 'verdict.nomatch');
  const p = document.createElement('p');
  p.textContent = `${t('verdict.score')} ${fmt(last.score, 3)} · ${t('verdict.threshold')} ${fmt(last.threshold, 3)} · ${t('verdict.far')} ${typeof last.far_estimate === 'number' ? last.far_estimate.toExponential(1) : '—'}`;
  v.append(h, p);
}
document.addEventListener('langchange', render);
// the {zh, en} objects (reasons, messages) under the verdict's side b, else a
function reasons(v) {
  const out = [], seen = new Set();
  const walk = (o) => {
    if (!o || typeof o !== 'object') return;
    if (typeof o.zh === 'string' && typeof o.en === 'string') {
      if (!seen.has(o.zh)) { seen.add(o.zh); out.push(o); }
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(v.b);            // the camera side first: that is what the person can fix
  if (!out.length) walk(v.a);
  return out;
}
$('check').addEventListener('click', async () => {
  problem.hide($('problem')); last = null; render();
  if (!refB64) { problem.show($('problem'), { key: 'err.noref' }); return; }
  const frame = cam.capture($('cam'));
  try {
    last = await call('POST', '/v1/faces/compare', { image_a: refB64, image_b: frame.image });
    const why = reasons(last);
    if (!last.match && why.length) {
      // no face, or a poor one: the engine's zh/en reasons instead of a score
      problem.show($('problem'), { problem: { zh: why.map((x) => x.zh).join('；'), en: why.map((x) => x.en).join('; '),
                                               code: why.map((x) => x.code).filter(Boolean).join(',') } });
      last = null;
    }
    render();
  } catch (e) { problem.show($('problem'), e); }
});
