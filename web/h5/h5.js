// h5.js -- the citizen's phone: separate consents (the face one optional,
// the non-face way always shown), the online application (ID number, name,
// reason, the matter's commitments), the liveness challenge with the front
// camera -- the server's prompts (digits one at a time, actions) shown at
// the server's times, frames captured every ~200 ms with t_ms from the
// challenge's issue and sent (POST /v1/verifications/{id}/frames) -- the
// verdict with its zh/en reasons, the submit bound to the verification,
// and the application's progress live (server-sent events).
// The phone's own device credential comes in the URL fragment
// (#device=ID:KEY, never sent to the server in a URL) and is kept in memory.
import { initToggle, t, pick, extend } from '../shared/i18n.js';
import '../shared/states.js';
import { call, setDevice, hasDevice } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import * as sse from '../shared/sse.js';
import { el, fmtTime } from '../shared/dom.js';
import * as challenge from './challenge.js';
import './text.js';

extend({
  'h5.apply.matter': ['办理事项', 'Matter'],
  'h5.apply.number': ['身份证号码', 'ID card number'],
  'h5.apply.reason': ['申请事由', 'Reason for the application'],
  'h5.apply.go': ['提交申请并刷脸核验', 'Apply and verify with my face'],
  'h5.sent': ['已发送 {n} 帧（带时间戳），正在核验…', 'Sent {n} frames with timestamps; checking…'],
  'h5.passed': ['核验通过，申请已提交。', 'Verified; the application is submitted.'],
  'h5.failed': ['核验未通过', 'Not verified'],
  'h5.reasons': ['原因', 'Reasons'],
  'h5.next': ['下一步', 'Next'],
  'h5.progress.title': ['办理进度', 'Progress'],
  'h5.progress.head': ['申请 {serial}：{state}', 'Application {serial}: {state}'],
  'h5.nodevice': ['本页面未登记为办理终端：请从政务服务App或终端打开。', 'This page is not registered as a service device: open it from the government app or a kiosk.'],
});
const $ = (id) => document.getElementById(id);
initToggle();
// the device credential from the fragment, then the fragment is dropped
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('device')) { setDevice(frag.get('device')); history.replaceState(null, '', location.pathname + location.search); }

let matters = [];
let app = null;        // the application
let verif = null;      // the verification session
let result = null;     // its result
let events = [];       // progress rows
let stream = null;

$('next').addEventListener('click', async () => {
  problem.hide($('problem'));
  if (!$('c-data').checked) { problem.show($('problem'), { key: 'h5.consent.data' }); return; }
  if (!$('c-face').checked) { problem.show($('problem'), { key: 'h5.noface' }); return; }
  if (!hasDevice()) { problem.show($('problem'), { key: 'h5.nodevice' }); return; }
  $('consent').hidden = true; $('apply').hidden = false;
  try {
    matters = ((await call('GET', '/v1/matters')).matters || []).filter((m) => (m.channels || []).includes('phone'));
    renderMatters();
    await loadCommitments();
  } catch (e) { problem.show($('problem'), e); }
});
function renderMatters() {
  const sel = $('a-matter'); const keep = sel.value || 'hj.goufang_qianru';
  sel.replaceChildren(...matters.map((m) => el('option', { value: m.code }, pick(m.name))));
  sel.value = keep;
}
let matter = null;
function renderCommitments() {
  const box = $('a-commit');
  const on = new Set([...box.querySelectorAll('[data-commit]')].filter((c) => c.checked).map((c) => c.dataset.commit));
  box.replaceChildren(...(matter ? matter.commitments || [] : []).map((c) => el('p', {},
    el('input', { type: 'checkbox', id: 'commit-' + c.id, 'data-commit': c.id, required: true }), ' ',
    el('label', { for: 'commit-' + c.id, class: 'inline' }, pick(c)))));
  on.forEach((id) => { const c = document.getElementById('commit-' + id); if (c) c.checked = true; });
}
async function loadCommitments() {
  matter = await call('GET', '/v1/matters/' + encodeURIComponent($('a-matter').value));
  renderCommitments();
}
$('a-matter').addEventListener('change', () => loadCommitments().catch((e) => problem.show($('problem'), e)));

$('apply-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('problem'));
  try {
    app = await call('POST', '/v1/applications', { matter: matter.code, id_number: $('a-number').value.trim(),
                                                   form: { reason: $('a-reason').value.trim() } });
    app = await call('POST', `/v1/applications/${app.id}/request_auth`, {});
    follow();
    $('apply').hidden = true; $('challenge').hidden = false;
  } catch (e) { problem.show($('problem'), e); }
});

// ---- the challenge ----
function liveness() {
  const a = ((matter && matter.auth) || [])[0] || {};
  const l = a.liveness || ['digits'];
  return l.includes('digits') ? 'digits' : l.includes('actions') ? 'actions' : l[0];
}
function levels() { const a = ((matter && matter.auth) || [])[0] || {}; return a.levels || ['real_name', 'real_person', 'real_document']; }
const runChallenge = () => challenge.run(verif.challenge, { video: $('cam'), prompt: $('prompt'), digit: $('digit'), countdown: $('countdown') });
$('start').addEventListener('click', async () => {
  problem.hide($('problem'));
  $('start').disabled = true; result = null; renderResult();
  try { await cam.open($('cam'), 'user'); } catch { problem.show($('problem'), { key: 'err.camera' }); $('start').disabled = false; return; }
  try {
    verif = await call('POST', '/v1/verifications', { id_type: 'resident_id', id_number: $('a-number').value.trim(),
      name: $('a-name').value.trim(), levels: levels(), liveness: liveness(), matter: matter.code, reference: String(app.id),
      consent: { face_processing: true, remote_frames: true } });
    if (verif.status === 'decided') result = verif;
    else {
      const frames = await runChallenge();
      $('done').textContent = t('h5.sent', { n: frames.length });
      $('done').dataset.frames = String(frames.length);
      result = await call('POST', `/v1/verifications/${verif.id}/frames`, { frames });
    }
    if (result.passed) {
      const commitments = [...document.querySelectorAll('[data-commit]')].filter((c) => c.checked).map((c) => c.dataset.commit);
      app = await call('POST', `/v1/applications/${app.id}/submit`, { verifications: [String(verif.id)], commitments });
    }
  } catch (e) { problem.show($('problem'), e); }
  cam.close($('cam'));
  $('start').disabled = false;
  renderResult();
});
function renderResult() {
  const box = $('result');
  if (!result) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  box.className = 'verdict ' + (result.passed ? 'ok' : 'no');
  const kids = [el('h2', {}, result.passed ? t('h5.passed') : t('h5.failed'))];
  if (!result.passed) {
    if (result.reasons && result.reasons.length) kids.push(el('p', {}, t('h5.reasons')), el('ul', { class: 'reasons' },
      result.reasons.map((r) => el('li', {}, pick(r) + ' [' + r.code + ']'))));
    if (result.next_step) kids.push(el('p', {}, t('ph.nextstep') + pick(result.next_step)));
    kids.push(el('p', { class: 'muted' }, t('h5.consent.alt')));
    kids.push(el('p', {}, el('button', { type: 'button', id: 'retry', onclick: () => $('start').click() }, t('ph.retry'))));
  }
  box.replaceChildren(...kids);
}

// ---- progress, live ----
function renderProgress() {
  if (!app) return;
  $('progress').hidden = false;
  $('progress').dataset.app = String(app.id);
  $('p-head').textContent = t('h5.progress.head', { serial: app.serial, state: t('state.' + app.state) });
  $('p-list').replaceChildren(...events.map((e) => el('li', { 'data-to': e.to },
    `${fmtTime(e.at)} · ${t('state.' + e.to)}${e.next ? ' — ' + pick(e.next) : ''}`)));
}
async function follow() {
  events = (app.timeline || []).map((s) => ({ at: Date.parse(s.at), to: s.to, next: null }));
  renderProgress();
  if (stream) stream.close();
  stream = sse.open(`/v1/applications/${app.id}/events`, (name, d) => {
    if (name !== 'progress' || !d || !d.to) return;
    events.push({ at: Date.parse(d.at) || Date.now(), to: d.to, next: d.next });
    app.state = d.to;
    renderProgress();
  }, () => {});
}
document.addEventListener('langchange', () => { if (matters.length) renderMatters(); renderCommitments(); renderResult(); renderProgress(); });
