// alarms.js -- watchlist alarms arriving live: the hall's event stream
// (GET /v1/halls/{hall}/alarms/events, opened when the tab is first shown;
// opening it is audited) read over fetch with the bearer token; each alarm
// is listed newest first with an acknowledge button (POST .../ack).
import { t } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import * as sse from '../shared/sse.js';
import { el, fmtTime } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let stream = null;
let hall = null;
const alarms = [];   // {alarm_id, entry_id, level, score, at, acked_by}
let state = 'alarms.off';

function render() {
  const s = $('alarms-state');
  s.dataset.i18n = state; s.textContent = t(state);
  s.className = 'pill ' + (state === 'alarms.on' ? 'ok' : 'off');
  const list = $('alarms-list');
  list.replaceChildren(...alarms.map((a) => el('li', { class: 'alarm' + (a.acked_by ? ' acked' : ''), 'data-alarm': a.alarm_id },
    el('span', {}, t('alarms.item', { id: a.alarm_id, entry: a.entry_id, level: a.level, score: Number(a.score).toFixed(3), at: fmtTime(a.at) })),
    ' ',
    a.acked_by ? el('span', { class: 'ok' }, t('alarms.acked', { who: a.acked_by }))
      : el('button', { type: 'button', class: 'ack', 'aria-label': t('alarms.ack') + ' #' + a.alarm_id, onclick: () => ack(a) }, t('alarms.ack')))));
}
async function ack(a) {
  problem.hide($('alarms-problem'));
  try {
    const r = await call('POST', `/v1/halls/${hall}/alarms/${a.alarm_id}/ack`);
    a.acked_by = r.acknowledged_by || '—';
  } catch (e) { problem.show($('alarms-problem'), e); }
  render();
}
export function show(me) {
  if (stream) return;
  hall = me.hall;
  stream = sse.open(`/v1/halls/${hall}/alarms/events`, (name, d) => {
    if (name !== 'alarm' || !d || typeof d !== 'object') return;
    if (alarms.some((x) => x.alarm_id === d.alarm_id)) return;
    alarms.unshift({ ...d, at: Date.now(), acked_by: null });
    render();
  }, (st, err) => {
    if (st === 'open') { state = 'alarms.on'; problem.hide($('alarms-problem')); }
    else if (st === 'reconnecting') state = 'alarms.retry';
    else if (st === 'error') { state = 'alarms.off'; if (err && err.problem) problem.show($('alarms-problem'), err); }
    render();
  });
  render();
}
export function stop() { if (stream) stream.close(); stream = null; }
document.addEventListener('langchange', render);
