// check.js -- the public check of a 房查证明 (no login): the code of the
// certificate's QR -> GET /v1/verify/property-certificate; valid or the
// API's zh/en refusal. The code may come in the fragment (#code=...).
import { initToggle, t, extend } from '../shared/i18n.js';
import { call } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el } from '../shared/dom.js';

extend({
  'check.title': ['房查证明公开核验', 'Property-record certificate check'],
  'check.code': ['证明上的核验码（扫描二维码所得）', 'The code on the certificate (its QR content)'],
  'check.go': ['核验', 'Check'],
  'check.valid': ['证明真实有效', 'The certificate is genuine'],
  'check.invalid': ['证明无效', 'The certificate is not valid'],
  'check.serial': ['证明编号', 'Serial'],
  'check.issued': ['出具时间', 'Issued at'],
  'check.holder': ['申请人', 'Applicant'],
  'check.props': ['名下不动产（处）', 'Real estate held'],
  'check.spouse': ['含配偶信息', 'Spouse included'],
  'check.yes': ['是', 'yes'], 'check.no': ['否', 'no'],
});
const $ = (id) => document.getElementById(id);
initToggle();
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get('code')) $('check-code').value = frag.get('code');
let last = null;
function render(r) {
  const row = (k, v) => [el('dt', { i18n: k }), el('dd', {}, v)];
  $('check-result').replaceChildren(
    el('h2', { class: r.valid ? 'verdict ok' : 'verdict no', i18n: r.valid ? 'check.valid' : 'check.invalid' }),
    el('dl', { class: 'form' },
      ...row('check.serial', r.serial || ''), ...row('check.issued', r.issued_at || ''),
      ...row('check.holder', (r.holder || '') + ' ' + (r.holder_id || '')),
      ...row('check.props', String(r.properties ?? '')),
      ...row('check.spouse', t(r.spouse_included ? 'check.yes' : 'check.no'))));
  $('check-result').hidden = false;
}
document.addEventListener('langchange', () => { if (last) render(last); });
$('check-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('problem')); $('check-result').hidden = true; last = null;
  try {
    last = await call('GET', '/v1/verify/property-certificate?code=' + encodeURIComponent($('check-code').value.trim()));
    render(last);
  } catch (e) { problem.show($('problem'), e); }
});
if (frag.get('code')) $('check-form').requestSubmit();
