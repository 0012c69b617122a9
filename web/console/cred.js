// cred.js -- the temporary identity credential at the window (seed 004):
// after a passed verification for matter temp_credential (any way,
// including the returning visitor's face alone), POST /v1/credentials
// {verification, purpose, hours}; the server's printable
// (GET /v1/credentials/{serial}?format=html: photo, masked number, serial,
// validity, code, signed QR) shown without its <style> and printed with the
// browser (body.print-doc: only the credential on paper), with the public
// check page's address for the code; POST .../revoke.
import { t, pick } from '../shared/i18n.js';
import { call, callText } from '../shared/api.js';
import * as problem from '../shared/problem.js';
import { el, inertHtml } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);
let verification = null;   // the passed temp_credential verification to consume
let issued = null;         // the credential just issued (its JSON answer)
let matters = [];

export function setMatters(list) {
  matters = list;
  const sel = $('cred-purpose');
  const keep = sel.value;
  sel.replaceChildren(el('option', { value: '', i18n: 'cred.nopurpose' }),
    ...matters.map((m) => el('option', { value: m.code }, pick(m.name) + ' (' + m.code + ')')));
  sel.value = keep;
}
// called after every verdict: a verification id to offer the credential for, or null
export function offer(vid) {
  verification = vid;
  $('cred-issue').hidden = vid === null;
  if (vid !== null) $('cred-go').disabled = false;
}
export function reset() { problem.hide($('cred-problem')); }
export const checkUrl = (code) => `${location.origin}/web/check/index.html#code=${encodeURIComponent(code)}`;

async function showDoc() {
  const html = await callText(`/v1/credentials/${encodeURIComponent(issued.serial)}?format=html`);
  const url = checkUrl(issued.code);
  const nodes = inertHtml(html);
  // the paper carries the masked name, as the public check shows it (the
  // printable's full name is for the screen of the staff who issued it)
  for (const n of nodes) if (n.nodeType === 1 && n.matches('p') && /^\s*姓名 Name:/.test(n.textContent) && n.lastChild)
    n.lastChild.textContent = ' ' + issued.name_masked;
  $('cred-doc').replaceChildren(...nodes,
    el('p', { class: 'check-url' }, '核验网址 Check at: ', el('span', { class: 'url' }, url)));
  $('cred').hidden = false;
  $('cred-revoke').disabled = false; $('cred-reason').value = '';
  $('cred-state').textContent = t('cred.state', { serial: issued.serial, to: issued.valid_to, n: issued.issued_this_month, max: issued.monthly_limit });
  document.body.classList.add('print-doc');
  $('cred').scrollIntoView({ block: 'start' });
  $('cred-print').focus();
}
$('cred-go').addEventListener('click', async () => {
  problem.hide($('cred-problem'));
  if (verification === null) return;
  const hours = parseInt($('cred-hours').value, 10);
  const body = { verification };
  if ($('cred-purpose').value) body.purpose = $('cred-purpose').value;
  if (hours > 0) body.hours = hours;
  $('cred-go').disabled = true;
  try {
    issued = await call('POST', '/v1/credentials', body);
    verification = null;           // consumed: single use
    $('cred-issue').hidden = true;
    await showDoc();
  } catch (e) { problem.show($('cred-problem'), e); $('cred-go').disabled = false; }
});
$('cred-print').addEventListener('click', () => window.print());
$('cred-close').addEventListener('click', () => {
  $('cred').hidden = true; $('cred-doc').replaceChildren(); document.body.classList.remove('print-doc');
});
$('cred-revoke-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  problem.hide($('cred-problem'));
  if (!issued) return;
  const body = {};
  if ($('cred-reason').value.trim()) body.reason = $('cred-reason').value.trim();
  try {
    await call('POST', `/v1/credentials/${encodeURIComponent(issued.serial)}/revoke`, body);
    $('cred-state').textContent = t('cred.revoked', { serial: issued.serial });
    $('cred-revoke').disabled = true;
  } catch (e) { problem.show($('cred-problem'), e); }
});
document.addEventListener('langchange', () => { setMatters(matters); });
