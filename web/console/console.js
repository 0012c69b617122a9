// console.js -- the window clerk's console: staff login (bearer token in
// memory), tabs by role (刷脸办, review queue, deadline board, watchlist
// alarms, search by image + capture trail, audit search), and the window's
// 1:1 check against an ID/file photo with the verdict (score, threshold,
// FAR) or the refusal's zh/en reason.
import './texts.js';
import { initToggle, t } from '../shared/i18n.js';
import { call, setToken, fileB64 } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import * as review from './review.js';
import * as board from './board.js';
import * as alarms from './alarms.js';
import * as search from './search.js';
import * as audit from './audit.js';

const $ = (id) => document.getElementById(id);
initToggle();
let refB64 = null;
let last = null;   // last verdict, re-rendered on a language change

// which tab each role sees (the server checks again: these only hide what
// would be refused anyway)
const TABS = [
  { id: 'verify', roles: ['clerk', 'admin'] },
  { id: 'review', roles: ['reviewer'], mod: review },
  { id: 'board', roles: ['clerk', 'reviewer', 'admin'], mod: board },
  { id: 'alarms', roles: ['clerk', 'reviewer', 'admin'], mod: alarms },
  { id: 'search', roles: ['reviewer', 'admin'], mod: search },
  { id: 'audit', roles: ['auditor'], mod: audit },
];
let me = null;
function showTab(id) {
  for (const tab of TABS) {
    $(tab.id).hidden = tab.id !== id;
    const b = document.querySelector(`#nav button[data-tab="${tab.id}"]`);
    if (tab.id === id) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
    if (tab.id === id && tab.mod) tab.mod.show(me);
  }
}
document.querySelectorAll('#nav button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('login-problem'));
  try {
    const r = await call('POST', '/v1/auth/login', { username: $('user').value, password: $('pass').value });
    setToken(r.token);
    me = await call('GET', '/v1/auth/me');
    $('who').textContent = t('login.as') + (me.name || $('user').value);
    $('pass').value = '';
    const roles = me.roles || [];
    const mine = TABS.filter((tab) => tab.roles.some((x) => roles.includes(x)));
    for (const tab of TABS) document.querySelector(`#nav button[data-tab="${tab.id}"]`).hidden = !mine.includes(tab);
    $('login').hidden = true; $('nav').hidden = false; $('logout').hidden = false;
    if (mine.length) showTab(mine[0].id);
  } catch (e) {
    problem.show($('login-problem'), e);
  }
});
$('logout').addEventListener('click', async () => {
  try { await call('POST', '/v1/auth/logout'); } catch { /* gone already */ }
  setToken(null); cam.close($('cam')); alarms.stop();
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
