// check.js -- the public check of a temporary identity credential (seed
// 004), no login: GET /v1/verify/credential?code= (the 8-character code or
// the QR's text) -> valid / expired / revoked, or the API's refusal (an
// unknown or altered code) with its zh/en text. Shows only what that public
// answer reveals, and the photo and masked name only while it is valid
// (they serve to compare with the person; a dead credential needs neither).
// The code may come in the address's fragment (#code=..., printed on the
// credential): a fragment never reaches the server or its logs.
import { extend, initToggle, t } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el } from '../shared/dom.js';

extend({
  'check.title': ['临时身份证明核验', 'Temporary credential check'],
  'check.ask': ['请输入证明上的核验码，或扫描证明上的二维码', 'Type the code printed on the credential, or scan its QR code'],
  'check.note': ['无需登录。本页只显示证明是否有效，以及用于当面核对的脱敏姓名、脱敏证件号和照片。', 'No login needed. This page shows only whether the credential is valid, and the masked name, masked ID number and photo to compare with the person.'],
  'check.code': ['核验码（8位）或二维码内容', 'Code (8 characters) or the QR text'],
  'check.go': ['核验', 'Check'],
  'check.valid': ['有效：请核对照片与持证人本人', 'VALID: compare the photo with the holder'],
  'check.expired': ['已过期：此证明不能再使用', 'EXPIRED: this credential can no longer be used'],
  'check.revoked': ['已作废：此证明不能使用', 'REVOKED: this credential cannot be used'],
  'check.unknown': ['无法核验：没有这张证明，或核验码有误', 'UNKNOWN: no such credential, or the code is wrong'],
  'check.next.dead': ['请持证人到任一政务服务窗口重新办理，或出示身份证原件。', 'The holder should get a new one at any service window, or show the original ID card.'],
  'check.next.unknown': ['请核对后重新输入（不含 0/O/1/I），或重新扫码；仍无法核验请联系出具大厅。', 'Check the code and type it again (it has no 0/O/1/I), or scan again; if it still fails, contact the issuing hall.'],
  'check.name': ['姓名', 'Name'],
  'check.id': ['证件号', 'ID number'],
  'check.to': ['有效期至', 'Valid until'],
  'check.hall': ['出具大厅', 'Issued at'],
  'check.photo': ['持证人照片', 'Holder\'s photo'],
});
initToggle();
const $ = (id) => document.getElementById(id);
let last = null;   // {answer} or {error}, re-rendered on a language change

function render() {
  const box = $('check-result');
  problem.hide($('check-problem'));
  if (!last) { box.hidden = true; box.replaceChildren(); return; }
  if (last.error) {
    box.hidden = false; box.className = 'verdict no'; box.dataset.status = 'unknown';
    box.replaceChildren(el('h2', { i18n: 'check.unknown' }), el('p', { class: 'next', i18n: 'check.next.unknown' }));
    problem.show($('check-problem'), last.error);
    return;
  }
  const a = last.answer;
  const st = ['valid', 'expired', 'revoked'].includes(a.status) ? a.status : 'unknown';
  box.hidden = false; box.className = 'verdict ' + (st === 'valid' ? 'ok' : 'no'); box.dataset.status = st;
  const kids = [el('h2', { i18n: 'check.' + st })];
  const row = (k, v) => [el('dt', { i18n: k }), el('dd', {}, v || '—')];
  if (st === 'valid') {
    if (a.photo) kids.push(el('img', { class: 'photo', src: 'data:image/' + (a.photo.startsWith('iVBOR') ? 'png' : 'jpeg') + ';base64,' + a.photo, alt: t('check.photo') }));
    kids.push(el('dl', { class: 'form' }, row('check.name', a.name_masked), row('check.id', a.id_masked),
      row('check.to', a.valid_to), row('check.hall', a.hall)));
  } else {
    kids.push(el('dl', { class: 'form' }, row('check.to', a.valid_to)), el('p', { class: 'next', i18n: 'check.next.dead' }));
  }
  box.replaceChildren(...kids);
}
async function check(code) {
  last = null; render();
  $('check-go').disabled = true;
  try { last = { answer: await call('GET', '/v1/verify/credential?code=' + encodeURIComponent(code)) }; }
  catch (e) { last = { error: e }; }
  $('check-go').disabled = false;
  render();
  $('check-result').focus();
}
$('check-result').tabIndex = -1;
$('check-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const code = $('check-code').value.trim();
  if (code) check(code);
});
document.addEventListener('langchange', render);
// scanned: the printed address carries the code in its fragment
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('code')) {
  $('check-code').value = frag.get('code');
  history.replaceState(null, '', location.pathname);
  check(frag.get('code'));
}
