// dom.js -- building elements without innerHTML: el('td', {class: 'x'}, 'text', child).
// Attributes: class, text, i18n (a key of i18n.js: text kept current on a
// language change), on<event> (listener), anything else setAttribute.
import { t } from './i18n.js';
export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'i18n') { e.dataset.i18n = v; e.textContent = t(v); }
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat(Infinity)) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
// a table: headers are i18n keys, rows are arrays of cells (text or nodes)
export function table(caption, heads, rows) {
  return el('table', { class: 'grid' },
    caption ? el('caption', { i18n: caption }) : null,
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col', i18n: h })))),
    el('tbody', {}, rows.map((r) => el('tr', r.attrs || {}, (r.cells || r).map((c) => el('td', {}, c))))));
}
export function fmtTime(ms) {
  if (typeof ms !== 'number') return ms ? String(ms) : '—';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
// a server-rendered printable (receipt, credential) as inert nodes to put
// in the page: its <style> removed before parsing (even an inert parsed
// document reports an inline style to the CSP; app.css styles
// .receipt-doc), no script/style/link/embedded objects, no event handler,
// javascript: URL or style attribute
export function inertHtml(html) {
  const doc = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style\s*>/gi, ''), 'text/html');
  doc.querySelectorAll('script, style, link, iframe, object, embed, foreignObject').forEach((n) => n.remove());
  doc.querySelectorAll('*').forEach((n) => [...n.attributes].forEach((a) => {
    if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value) || a.name === 'style') n.removeAttribute(a.name);
  }));
  return [...doc.body.childNodes].map((n) => document.importNode(n, true));
}
