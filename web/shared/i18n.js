// i18n.js -- Chinese by default, English toggle on every page. Texts are
// keyed; elements carry data-i18n="key" (text) or data-i18n-label (aria-label).
const T = {
  'app.title': ['刷脸办 · 政务服务', 'Face-Verified Government Services'],
  'lang.toggle': ['English', '中文'],
  'nav.console': ['窗口工作台（工作人员）', 'Window console (staff)'],
  'nav.kiosk': ['24小时自助终端', '24-hour kiosk'],
  'nav.h5': ['手机办理（市民）', 'Phone service (citizens)'],
  'nav.docs': ['接口文档', 'API documentation'],
  'nav.check': ['临时身份证明核验（公开）', 'Check a temporary credential (public)'],
  'console.title': ['窗口工作台', 'Window console'],
  'login.title': ['工作人员登录', 'Staff login'],
  'login.user': ['用户名', 'Username'],
  'login.pass': ['密码', 'Password'],
  'login.go': ['登录', 'Log in'],
  'login.out': ['退出登录', 'Log out'],
  'login.as': ['已登录：', 'Logged in as: '],
  'verify.title': ['刷脸办：人证核验', 'Face check: identity verification'],
  'verify.ref': ['证件照或留存照片（JPEG/PNG）', 'ID or file photo (JPEG/PNG)'],
  'verify.cam': ['开启窗口摄像头', 'Start the window camera'],
  'verify.go': ['抓拍并核验', 'Capture and verify'],
  'verify.alt': ['不愿或无法刷脸？可改用身份证原件由工作人员人工核验，办理不受影响。',
                 'Cannot or prefer not to use the face check? Show the ID card for a manual check by the clerk; the service is the same.'],
  'verdict.match': ['核验通过：是同一人', 'Verified: same person'],
  'verdict.nomatch': ['核验未通过：不是同一人或无法确认', 'Not verified: not the same person or cannot confirm'],
  'verdict.score': ['相似度', 'Score'],
  'verdict.threshold': ['阈值', 'Threshold'],
  'verdict.far': ['误识率估计', 'FAR estimate'],
  'err.title': ['未能办理', 'Refused'],
  'err.next': ['下一步：', 'Next step: '],
  'err.camera': ['无法使用摄像头：请允许浏览器使用摄像头，或改用人工核验。', 'The camera cannot be used: allow the browser to use it, or use the manual check.'],
  'err.noref': ['请先选择证件照或留存照片。', 'Choose the ID or file photo first.'],
  'err.network': ['网络异常，请稍后再试。', 'Network error; try again later.'],
  'kiosk.attract': ['请轻触屏幕开始办理', 'Touch the screen to begin'],
  'kiosk.menu': ['请选择登录方式', 'Choose how to log in'],
  'kiosk.scan': ['扫码登录（用手机扫屏幕上的码）', 'Scan: scan the screen code with your phone'],
  'kiosk.show': ['亮码登录（把手机上的码对准摄像头）', 'Show: hold your phone code to the camera'],
  'kiosk.face': ['刷脸登录', 'Face login'],
  'kiosk.home': ['返回首页', 'Back to start'],
  'kiosk.pending': ['该方式将在身份码服务开通后可用，请到窗口办理。', 'This becomes available when the identity-code service is on; please go to a window.'],
  'kiosk.facecheck': ['请正对摄像头，正在检测人脸质量…', 'Face the camera; checking the face quality…'],
  'kiosk.faceok': ['人脸清晰，可以继续。', 'Face is clear; you may continue.'],
  'kiosk.idle': ['长时间无操作，已清除屏幕内容。', 'No activity for a while: the screen was cleared.'],
  'elderly.toggle': ['长辈模式（大字高对比）', 'Elderly mode (large text, high contrast)'],
  'h5.title': ['手机办理', 'Phone service'],
  'h5.consent.title': ['授权同意', 'Consent'],
  'h5.consent.data': ['我同意为办理本事项使用我的身份信息。', 'I agree to the use of my identity data for this matter.'],
  'h5.consent.face': ['我单独同意采集并比对我的人脸（可不同意，改用非人脸方式）。', 'I separately agree to my face being captured and compared (optional: a non-face way is offered).'],
  'h5.consent.alt': ['非人脸方式：携带身份证原件到任一窗口办理，或由工作人员上门核验。', 'Non-face way: bring your ID card to any window, or ask for a home visit by staff.'],
  'h5.next': ['下一步', 'Next'],
  'h5.challenge.title': ['活体检测：请依次读出屏幕上的数字', 'Liveness check: read each digit aloud as it appears'],
  'h5.challenge.start': ['开始', 'Start'],
  'h5.challenge.done': ['已采集 {n} 帧（带时间戳），等待提交。', 'Captured {n} frames with timestamps, ready to send.'],
  'h5.noface': ['未同意人脸采集：请使用非人脸方式。', 'No consent for the face: please use the non-face way.'],
};
let lang = 'zh';
// a page's own texts: extend({key: [zh, en]}) before initToggle()
export function extend(rows) { Object.assign(T, rows); }
// the {zh, en} pair the API sends, in the current language
export function pick(o) { return o ? (lang === 'zh' ? (o.zh || o.en) : (o.en || o.zh)) || '' : ''; }
export function t(key, vars) {
  const row = T[key];
  let s = row ? row[lang === 'zh' ? 0 : 1] : key;
  for (const k in vars || {}) s = s.replace('{' + k + '}', String(vars[k]));
  return s;
}
export function currentLang() { return lang; }
export function apply(root = document) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll('[data-i18n-label]').forEach((el) => { el.setAttribute('aria-label', t(el.dataset.i18nLabel)); });
  document.dispatchEvent(new CustomEvent('langchange'));
}
export function setLang(l) { lang = l === 'en' ? 'en' : 'zh'; apply(); }
export function initToggle() {
  const b = document.getElementById('lang');
  if (b) b.addEventListener('click', () => setLang(lang === 'zh' ? 'en' : 'zh'));
  const e = document.getElementById('elderly');
  if (e) e.addEventListener('click', () => {
    const on = document.body.classList.toggle('elderly');
    e.setAttribute('aria-pressed', on ? 'true' : 'false');
  });
  apply();
}
