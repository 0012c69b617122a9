// verify.js -- 刷脸办 at the window with the verification API (issue 11):
// POST /v1/verifications binds (document, matter, reference) and checks
// the real name; with the face: frames from the window camera
// (POST .../frames, passive liveness: the clerk sees the person) -> the
// verdict with score, threshold, FAR and the zh/en reasons; without it --
// always offered -- one of the non-face ways (POST .../alternative: the
// clerk's check of the original document, the ID-card reader's chip data,
// an identity code). The verification id is what the matter then consumes.
// 情形二, the returning visitor (face only): one capture -> POST
// /v1/halls/{hall}/identify -> the proposed person (masked name, score,
// threshold) or unknown (the other ways offered at once) -> the clerk
// confirms (POST .../identify/{capture}/confirm: a verification result for
// the matter) or rejects. After a passed verification: enrolment into the
// hall's library (its own consent; POST /v1/halls/{hall}/library with a
// hall_enrolment verification) and, for matter temp_credential, the
// temporary credential (cred.js); for a catalogue matter, the matter itself
// run at once (matter.js: form, 免提交 materials, commitment, receipt).
import { t, pick } from '../shared/i18n.js';
import { call, hasDevice } from '../shared/api.js';
import * as cam from '../shared/camera.js';
import * as problem from '../shared/problem.js';
import { el } from '../shared/dom.js';
import * as cred from './cred.js';
import * as matter from './matter.js';

const $ = (id) => document.getElementById(id);
let last = null;      // the last result, re-rendered on a language change
let matters = [];
let hall = null;      // the clerk's hall (GET /v1/auth/me)
let ident = null;     // the last identification {answer, matter, rejected}
let lastMatter = '';  // the matter the last verdict was for
let lastDoc = null;   // {id_type, id_number, name} of the last verdict (enrolment)
// matters that are not in the catalogue but are verified at the window
const EXTRA = [{ code: 'temp_credential', name: { zh: '临时身份证明', en: 'Temporary identity credential' } }];

const method = () => document.querySelector('input[name="v-method"]:checked').value;
function syncMethod() {
  const m = method();
  const face = m === 'face', first = m === 'first_visit', back = m === 'returning';
  $('v-face-opts').hidden = !face;
  $('v-alt-opts').hidden = face || back;
  // the identity code names the person at a first visit, the face alone a
  // returning visitor: no number or name typed
  for (const id of ['v-number', 'v-name']) $(id).required = !first && !back;
  for (const id of ['v-type', 'v-number', 'v-name']) $(id).closest('div').hidden = back;
  for (const [id, want] of [['v-document', 'clerk_document_check'], ['v-code', 'identity_code']])
    for (const e of [$(id), document.querySelector(`label[for="${id}"]`)]) e.hidden = !(m === want || (id === 'v-code' && first));
}
document.querySelectorAll('input[name="v-method"]').forEach((r) => r.addEventListener('change', syncMethod));

function renderMatters() {
  const sel = $('v-matter');
  const keep = sel.value;
  sel.replaceChildren(...[...matters, ...EXTRA].map((m) => el('option', { value: m.code }, pick(m.name) + ' (' + m.code + ')')));
  if (keep) sel.value = keep;
  cred.setMatters(matters);
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
function afterVerdict() {
  const ok = !!(last && last.passed);
  $('after').hidden = !ok;
  // a returning visitor is in the library already (a confirmed identification)
  $('enrol').hidden = !ok || last.mode === '1:N' || !lastDoc;
  cred.offer(ok && lastMatter === 'temp_credential' ? last.id : null);
  // a catalogue matter: run it now (matter.js) for the person just verified
  matter.offer(ok && matters.some((m) => m.code === lastMatter) ? { verdict: last, doc: lastDoc, matter: lastMatter } : null);
}
// the other ways, offered at once when the face alone does not name anyone
function otherWays() {
  const ways = [['face', 'v.m.face'], ['first_visit', 'v.m.first'], ['clerk_document_check', 'v.m.clerk'],
                ['id_card_reader', 'v.m.reader'], ['identity_code', 'v.m.code']];
  return el('div', { class: 'ways' }, el('p', { i18n: 'ident.other' }),
    el('ul', {}, ways.map(([m, key]) => el('li', {}, el('button', { type: 'button', class: 'way', 'data-way': m, i18n: key, onclick: () => useWay(m) })))));
}
function useWay(m) {
  document.querySelector(`input[name="v-method"][value="${m}"]`).checked = true;
  syncMethod();
  ident = null; renderIdent();
  $(m === 'first_visit' || m === 'identity_code' ? 'v-code' : 'v-number').focus();
}
function renderIdent() {
  const box = $('ident');
  if (!ident) { box.hidden = true; box.replaceChildren(); return; }
  const a = ident.answer;
  box.hidden = false;
  const fig = el('p', { class: 'score' }, `${t('verdict.threshold')} ${Number(a.threshold).toFixed(2)} · ${t('ident.fpir')}`);
  if (a.decision !== 'match' || ident.rejected) {
    box.className = 'ident no';
    const kids = [el('h3', { i18n: ident.rejected ? 'ident.rejected' : 'ident.unknown' }), fig];
    for (const r of a.reasons || [])
      kids.push(el('p', {}, pick(r) + ' [' + r.code + ']', el('span', { class: 'other', lang: document.documentElement.lang === 'en' ? 'zh-CN' : 'en' }, ' / ' + (document.documentElement.lang === 'en' ? r.zh : r.en))));
    kids.push(otherWays());
    box.replaceChildren(...kids);
    return;
  }
  box.className = 'ident';
  const c = a.candidates[0];
  box.replaceChildren(
    el('h3', { i18n: 'ident.match' }),
    el('p', { class: 'cand' }, `${t('ident.person')} ${c.name_masked || '—'} · ${t('ident.libno')} ${c.person_id} · ${t('verdict.score')} ${Number(c.score).toFixed(3)} · ${t('search.photos')} ${c.photos}`),
    fig,
    el('p', { class: 'muted', i18n: 'ident.ask' }),
    el('p', {}, el('button', { type: 'button', id: 'ident-yes', i18n: 'ident.confirm', onclick: () => confirmIdent(c) }), ' ',
      el('button', { type: 'button', id: 'ident-no', class: 'warn', i18n: 'ident.reject', onclick: () => {
        ident.rejected = true; renderIdent(); document.querySelector('#ident button.way').focus(); } })));
}
async function confirmIdent(c) {
  problem.hide($('problem'));
  $('ident-yes').disabled = true;
  try {
    const r = await call('POST', `/v1/halls/${hall}/identify/${ident.answer.capture_id}/confirm`,
      { person_id: c.person_id, matter: ident.matter, reference: 'window-' + Date.now().toString(36) });
    // the same verdict as the other ways: a passed verification for the matter
    last = { id: r.verification_id, passed: true, method: r.method || 'face', mode: r.mode, score: r.score,
             threshold: ident.answer.threshold, levels: { real_name: true, real_person: true }, name_masked: c.name_masked };
    lastMatter = r.matter || ident.matter; lastDoc = null;
    ident = null; renderIdent(); render();
  } catch (e) { problem.show($('problem'), e); if ($('ident-yes')) $('ident-yes').disabled = false; }
}
function render() {
  const v = $('verdict');
  afterVerdict();
  if (!last) { v.hidden = true; v.replaceChildren(); return; }
  const r = last;
  v.hidden = false;
  v.className = 'verdict ' + (r.passed ? 'ok' : 'no');
  const fmt = (x, d) => (typeof x === 'number' ? x.toFixed(d) : '—');
  const lv = r.levels || {};
  const kids = [
    el('h3', {}, t(r.passed ? 'v.passed' : 'v.failed')),
    el('p', {}, `${t('v.id')} ${r.id} · ${t('v.method')}: ${t('m.' + r.method) === 'm.' + r.method ? r.method : t('m.' + r.method)}` +
      (r.mode === '1:N' ? ' (' + t('ident.mode') + ')' : '') + (r.name_masked ? ` · ${t('ident.person')} ${r.name_masked}` : '')),
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
document.addEventListener('langchange', () => { renderMatters(); renderIdent(); render(); });
$('cam-on').addEventListener('click', async () => {
  problem.hide($('problem'));
  try { await cam.open($('cam')); } catch { problem.show($('problem'), { key: 'err.camera' }); }
});
$('v-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('problem')); last = null; ident = null; renderIdent(); render(); cred.reset();
  const m = method();
  const face = m === 'face' || m === 'first_visit' || m === 'returning';
  if (face && !$('cam').srcObject) { problem.show($('problem'), { key: 'err.camera' }); return; }
  if (m === 'first_visit' && !hasDevice()) { problem.show($('problem'), { key: 'v.nodevice' }); return; }
  $('v-go').disabled = true;
  lastMatter = $('v-matter').value; lastDoc = null;
  try {
    if (m === 'returning') {
      // 情形二: the face alone; nothing is done in anyone's name before the clerk confirms
      const a = await call('POST', `/v1/halls/${hall}/identify`, { image: cam.capture($('cam')).image });
      ident = { answer: a, matter: $('v-matter').value, rejected: false };
      $('v-go').disabled = false; renderIdent();
      const next = $('ident-yes') || document.querySelector('#ident button.way');
      if (next) next.focus();
      return;
    }
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
    lastDoc = { id_type: body.id_type, id_number: body.id_number, name: body.name };
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
// enrolment after a verified visit: the clerk has just verified the person
// (the verdict above), so the hall_enrolment verification the library
// requires is the clerk's check at this window (a non-face way, naming the
// verification just passed); the server then compares the window capture
// with the person's registry photo before storing it, and records the
// library consent (consent.face) in the same transaction
$('enrol-go').addEventListener('click', async () => {
  problem.hide($('problem')); $('enrol-done').hidden = true;
  if (!$('enrol-consent').checked) { problem.show($('problem'), { key: 'enrol.noconsent' }); return; }
  if (!$('cam').srcObject) { problem.show($('problem'), { key: 'err.camera' }); return; }
  if (!lastDoc || !last || !last.passed) return;
  $('enrol-go').disabled = true;
  try {
    const s = await call('POST', '/v1/verifications', { ...lastDoc, levels: ['real_name', 'real_person'], method: 'alternative',
      matter: 'hall_enrolment', reference: 'hall:' + hall });
    const v = await call('POST', `/v1/verifications/${s.id}/alternative`, { method: 'clerk_document_check',
      document: t('enrol.document', { id: last.id }) });
    if (!v.passed) { last = { ...v, id: v.id || s.id }; render(); throw { key: 'enrol.failed' }; }
    const r = await call('POST', `/v1/halls/${hall}/library`, { verification_id: v.id || s.id, image: cam.capture($('cam')).image, consent: { face: true } });
    $('enrol-done').textContent = t(r.enrolled === false ? 'enrol.added' : 'enrol.done', { id: r.person_id });
    $('enrol-done').hidden = false;
  } catch (e) { problem.show($('problem'), e); }
  $('enrol-go').disabled = false;
});
export async function show(me) {
  if (me && me.hall) hall = me.hall;
  if (me) matter.setRoles(me.roles);
  syncMethod();
  if (!matters.length) {
    try {
      matters = ((await call('GET', '/v1/matters')).matters || []).filter((x) => (x.channels || []).includes('window'));
      renderMatters();
    } catch (e) { problem.show($('problem'), e); }
  }
}
export function stop() { cam.close($('cam')); }
