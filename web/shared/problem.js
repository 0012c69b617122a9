// problem.js -- shows a refusal: the API's zh/en reason and next step.
import { t, currentLang } from './i18n.js';
export function show(box, err) {
  box.hidden = false;
  box.replaceChildren();
  const h = document.createElement('strong');
  h.dataset.i18n = 'err.title'; h.textContent = t('err.title');
  const p = document.createElement('p');
  const pr = err && err.problem;
  if (pr) {
    const main = currentLang() === 'zh' ? (pr.zh || pr.en) : (pr.en || pr.zh);
    const other = currentLang() === 'zh' ? pr.en : pr.zh;
    p.textContent = (main || pr.title || '') + (pr.code ? ' [' + pr.code + ']' : '');
    box.append(h, p);
    if (other) { const q = document.createElement('p'); q.lang = currentLang() === 'zh' ? 'en' : 'zh-CN'; q.className = 'other'; q.textContent = other; box.append(q); }
  } else {
    p.textContent = err && err.key ? t(err.key) : t('err.network');
    box.append(h, p);
  }
}
export function hide(box) { box.hidden = true; box.replaceChildren(); }
