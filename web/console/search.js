// search.js -- search by image (POST /v1/halls/{hall}/search, purpose
// required and audited) and a person's capture trail
// (GET /v1/persons/{id}/trail, audited); reviewer and admin only.
import { t } from '../shared/i18n.js';
import { call, fileB64 } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el, table, fmtTime } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let hall = null;
let found = null;   // search answer
let trail = null;   // trail answer
function render() {
  const r = $('search-result');
  r.replaceChildren();
  if (found) {
    const c = found.candidates || [];
    r.append(c.length ? table(null, ['search.person', 'search.score', 'search.photos', 'col.action'],
      c.map((x) => [String(x.person_id), Number(x.score).toFixed(3), String(x.photos),
        el('button', { type: 'button', class: 'trail', 'data-person': x.person_id, onclick: () => loadTrail(x.person_id) }, t('trail.go'))]))
      : el('p', { class: 'muted', i18n: 'search.empty' }));
  }
  const tr = $('trail-result');
  tr.replaceChildren();
  if (trail) {
    tr.append(el('h3', {}, t('trail.title', { id: trail.person_id })));
    const c = trail.captures || [];
    tr.append(c.length ? table(null, ['trail.at', 'trail.device', 'search.score', 'trail.thumb'],
      c.map((x) => [fmtTime(x.at_ms), x.device, Number(x.score).toFixed(3), t(x.thumbnail ? 'common.yes' : 'common.no')]))
      : el('p', { class: 'muted', i18n: 'common.none' }));
  }
}
async function loadTrail(id) {
  problem.hide($('search-problem'));
  $('trail-person').value = String(id);
  try { trail = await call('GET', `/v1/persons/${encodeURIComponent(id)}/trail`); }
  catch (e) { trail = null; problem.show($('search-problem'), e); }
  render();
}
$('search-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('search-problem')); found = null;
  const f = $('search-img').files[0];
  try {
    const image = await fileB64(f);
    found = await call('POST', `/v1/halls/${hall}/search`, { image, purpose: $('search-purpose').value.trim() });
  } catch (e) { problem.show($('search-problem'), e); }
  render();
});
$('trail-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadTrail($('trail-person').value.trim()); });
document.addEventListener('langchange', render);
export function show(me) { hall = me.hall; }
