// verify.js -- 刷脸办 at the window with the verification API (issue 11):
// POST /v1/verifications binds (document, matter, reference) and checks
// the real name; with the face: frames from the window camera
// (POST .../frames, passive liveness: the clerk sees the person) -> the
// verdict with score, threshold, FAR and the zh/en reasons; without it --
// always offered -- one of the non-face ways (POST .../alternative: the
// clerk's check of the original document, the ID-card reader's chip data,
// an identity code). The verification id is what the matter then consumes.
import { t, pick } from '../shared/i18n.js';
import { call, hasDevice } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { el } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let last = null;      // the last result, re-rendered on a language change
let matters = [];

const method = () => document.querySelector('input[name="v-method"]:checked').value;
function syncMethod() {
  const m = method();
  const face = m === 'face', first = m === 'first_visit';
  $('v-face-opts').hidden = !face;
  $('v-alt-opts').hidden = face;
  // the identity code names the person at a first visit: no number or name typed
  for (const id of ['v-number', 'v-name']) $(id).required = !first;
  for (const [id, want] of [['v-document', 'clerk_document_check'], ['v-code', 'identity_code']])
    for (const e of [$(id), document.querySelector(`label[for="${id}"]`)]) e.hidden = !(m === want || (id === 'v-code' && first));
}
document.querySelectorAll('input[name="v-method"]').forEach((r) => r.addEventListener('change', syncMethod));

function renderMatters() {
  const sel = $('v-matter');
  const keep = sel.value;
  sel.replaceChildren(...matters.map((m) => el('option', { value: m.code }, pick(m.name) + ' (' + m.code + ')')));
  if (keep) sel.value = keep;
}
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
// three frames 300 ms apart, t_ms from the first (no challenge: passive)
async function frames() {
  const out = [];
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) {
    if (i) await sleep(300);
    const f = cam.capture($('cam'));
    out.push({ t_ms: Math.round(performance.now() - t0), image: f.image });
  }
  return out;
}
function render() {
  const v = $('verdict');
  if (!last) { v.hidden = true; v.replaceChildren(); return; }
  const r = last;
  v.hidden = false;
  v.className = 'verdict ' + (r.passed ? 'ok' : 'no');
  const fmt = (x, d) => (typeof x === 'number' ? x.toFixed(d) : '—');
  const lv = r.levels || {};
  const kids = [
    el('h3', {}, t(r.passed ? 'v.passed' : 'v.failed')),
    el('p', {}, `${t('v.id')} ${r.id} · ${t('v.method')}: ${t('m.' + r.method) === 'm.' + r.method ? r.method : t('m.' + r.method)}`),
    el('p', {}, t('v.levels') + ': ' + Object.keys(lv).map((k) => `${t('v.level.' + k)} ${lv[k] ? '✓' : '✗'}`).join(' · ')),
  ];
  if (typeof r.score === 'number')
    kids.push(el('p', { class: 'score' }, `${t('verdict.score')} ${fmt(r.score, 3)} · ${t('verdict.threshold')} ${fmt(r.threshold, 3)} · ${t('verdict.far')} ${typeof r.far === 'number' ? r.far.toExponential(1) : '—'}`));
  if (r.reasons && r.reasons.length)
    kids.push(el('p', {}, t('v.reasons') + ':'), el('ul', { class: 'reasons' }, r.reasons.map((x) =>
      el('li', {}, pick(x) + ' [' + x.code + ']', el('span', { class: 'other', lang: document.documentElement.lang === 'en' ? 'zh-CN' : 'en' }, ' / ' + (document.documentElement.lang === 'en' ? x.zh : x.en))))));
  if (!r.passed && r.next_step) kids.push(el('p', { class: 'next' }, t('v.next') + ': ' + pick(r.next_step)));
  if (!r.passed && r.alternatives && r.alternatives.length)
    kids.push(el('p', {}, t('v.alts') + ':'), el('ul', {}, r.alternatives.map((a) => el('li', {}, pick(a)))));
  v.replaceChildren(...kids);
}
document.addEventListener('langchange', () => { renderMatters(); render(); });
$('cam-on').addEventListener('click', async () => {
  problem.hide($('problem'));
  try { await cam.open($('cam')); } catch { problem.show($('problem'), { key: 'err.camera' }); }
});
$('v-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('problem')); last = null; render();
  const m = method();
  const face = m === 'face' || m === 'first_visit';
  if (face && !$('cam').srcObject) { problem.show($('problem'), { key: 'err.camera' }); return; }
  if (m === 'first_visit' && !hasDevice()) { problem.show($('problem'), { key: 'v.nodevice' }); return; }
  $('v-go').disabled = true;
  try {
    if (m === 'first_visit') {
      // 情形一: the identity code names the person, the capture is compared
      // with the registry photo (a window device's call)
      last = await call('POST', '/v1/window/first-visit', { capture: cam.capture($('cam')).image, id_code: $('v-code').value.trim(),
        matter: $('v-matter').value, reference: 'window-' + Date.now().toString(36) }, { device: true });
      $('v-go').disabled = false; render(); return;
    }
    const body = { id_type: $('v-type').value, id_number: $('v-number').value.trim(), name: $('v-name').value.trim(),
                   levels: ['real_name', 'real_person', 'real_document'], liveness: 'passive', matter: $('v-matter').value,
                   reference: 'window-' + Date.now().toString(36) };
    // the face: its own consent, given here or refused by the API; no face:
    // method alternative (no face consent needed), the way follows
    if (face) body.consent = { face_processing: $('v-consent').checked };
    else body.method = 'alternative';
    const s = await call('POST', '/v1/verifications', body);
    if (s.status === 'decided') last = s;
    else if (face) last = await call('POST', `/v1/verifications/${s.id}/frames`, { frames: await frames() });
    else {
      const alt = { method: m };
      if (m === 'clerk_document_check') alt.document = $('v-document').value.trim() || t('v.document.default');
      if (m === 'id_card_reader') alt.card = { id_type: body.id_type, id_number: body.id_number, name: body.name };
      if (m === 'identity_code') alt.code = $('v-code').value.trim();
      last = await call('POST', `/v1/verifications/${s.id}/alternative`, alt);
    }
    if (!last.id) last.id = s.id;
  } catch (e) { problem.show($('problem'), e); }
  $('v-go').disabled = false;
  render();
});
export async function show() {
  syncMethod();
  if (!matters.length) {
    try {
      matters = ((await call('GET', '/v1/matters')).matters || []).filter((x) => (x.channels || []).includes('window'));
      renderMatters();
    } catch (e) { problem.show($('problem'), e); }
  }
}
export function stop() { cam.close($('cam')); }
