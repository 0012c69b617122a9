// console.js -- the window clerk's console: staff login (bearer token in
// memory), tabs by role (刷脸办, review queue, deadline board, watchlist
// alarms, search by image + capture trail, audit search); each tab is its
// own module (verify.js, review.js, board.js, alarms.js, search.js, audit.js).
import './texts.js';
import { initToggle, t } from '../shared/i18n.js';
import { call, setToken, setDevice } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import * as review from './review.js';
import * as board from './board.js';
import * as alarms from './alarms.js';
import * as search from './search.js';
import * as audit from './audit.js';
import * as verify from './verify.js';

const $ = (id) => document.getElementById(id);
initToggle();
// the window PC's own device credential (#device=ID:KEY; a fragment never
// reaches a server), kept in memory for the window's device-only calls
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('device')) { setDevice(frag.get('device')); history.replaceState(null, '', location.pathname + location.search); }

// which tab each role sees (the server checks again: these only hide what
// would be refused anyway)
const TABS = [
  { id: 'verify', roles: ['clerk'], mod: verify },
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
  setToken(null); verify.stop(); alarms.stop();
  location.reload();
});
