// web.cjs -- browser tests of the web pages in Debian's Chromium, driven
// by playwright-core; run by tests/suites/95-web.sh against a real server.
// usage: node web.cjs BASE CREDS.json OUTDIR FACE.y4m DARK.y4m REF.jpg
// Prints "ok NAME" / "FAIL NAME ..." lines; exits 1 on any failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [base, credsFile, out, faceY4m, darkY4m, refJpg] = process.argv.slice(2);
const creds = JSON.parse(fs.readFileSync(credsFile, 'utf8'));
let failed = 0;
function ok(n) { console.log('ok   ' + n); }
function bad(n, e) { failed++; console.log('FAIL ' + n + ': ' + String(e && e.message || e).split('\n')[0]); }
async function step(name, fn) { try { await fn(); ok(name); } catch (e) { bad(name, e); } }
function must(c, msg) { if (!c) throw new Error(msg); }

async function launch(y4m) {
  const dir = fs.mkdtempSync(path.join(out, 'profile-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: process.env.SL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
           '--use-file-for-fake-video-capture=' + y4m],
    viewport: { width: 1100, height: 800 },
    permissions: ['camera'],
  });
}
async function shot(page, name) { await page.screenshot({ path: path.join(out, name + '.png'), fullPage: true }); }
async function axe(page) {
  await page.evaluate(AXE + ';0');   // through the debugger: the page's CSP forbids inline script
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ' (' + v.nodes.length + ')');
}
async function login(page, who) {
  await page.goto(base + '/web/console/index.html');
  await page.fill('#user', creds.users[who].username);
  await page.fill('#pass', creds.users[who].password);
  await page.click('#login-go');
  await page.waitForSelector('#verify:not([hidden])');
}

(async () => {
  const offsite = [];
  let ctx = await launch(faceY4m);
  ctx.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) offsite.push(r.url()); });
  let page = ctx.pages()[0] || await ctx.newPage();
  const cspErrors = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });

  await step('start page: Chinese by default, English toggle', async () => {
    await page.goto(base + '/');
    must(await page.getAttribute('html', 'lang') === 'zh-CN', 'lang is not zh-CN');
    must((await page.textContent('h1')).includes('刷脸办'), 'no Chinese title');
    await page.click('#lang');
    must(await page.getAttribute('html', 'lang') === 'en', 'lang not en after toggle');
    must((await page.textContent('h1')).includes('Government'), 'title not English');
    await shot(page, 'start-en');
  });
  await step('console: wrong password shows the API reason in Chinese', async () => {
    await page.goto(base + '/web/console/index.html');
    await page.fill('#user', creds.users.clerk.username);
    await page.fill('#pass', 'not-the-password');
    await page.click('#login-go');
    await page.waitForSelector('#problem:not([hidden])');
    const txt = await page.textContent('#problem');
    must(/[\u4e00-\u9fff]/.test(txt) && /acct_login/.test(txt), 'no zh reason/code: ' + txt);
    await shot(page, 'console-login-refused');
  });
  await step('seed 000 window: clerk logs in, camera + ID photo -> verdict with score, threshold, FAR', async () => {
    await login(page, 'clerk');
    must((await page.textContent('#who')).includes(creds.users.clerk.username), 'who not shown');
    await page.setInputFiles('#ref', refJpg);
    await page.click('#cam-on');
    await page.waitForFunction(() => document.getElementById('cam').videoWidth > 0, null, { timeout: 10000 });
    await page.waitForTimeout(500);
    await page.click('#check');
    await page.waitForSelector('#verdict:not([hidden]), #problem:not([hidden])', { timeout: 30000 });
    const v = await page.textContent('#verdict');
    must(v.includes('核验通过'), 'no match verdict: ' + v + ' / ' + await page.textContent('#problem'));
    must(/相似度 0\.\d{3}/.test(v) && /误识率估计 \d/.test(v), 'score/FAR missing: ' + v);
    await shot(page, 'console-verdict-zh');
    await page.click('#lang');
    const e = await page.textContent('#verdict');
    must(e.includes('Verified') && e.includes('FAR estimate'), 'verdict not in English: ' + e);
    await shot(page, 'console-verdict-en');
  });
  await step('accessibility: axe-core, no serious or critical violations (4 pages)', async () => {
    const all = [];
    for (const p of ['/', '/web/console/index.html', '/web/kiosk/index.html', '/web/h5/index.html']) {
      await page.goto(base + p);
      const v = await axe(page);
      if (v.length) all.push(p + ': ' + v.join(', '));
    }
    must(all.length === 0, all.join('; '));
  });
  await step('English toggle on every page: lang=en, no keyed text left in Chinese', async () => {
    for (const p of ['/', '/web/console/index.html', '/web/kiosk/index.html', '/web/h5/index.html']) {
      await page.goto(base + p);
      must(await page.getAttribute('html', 'lang') === 'zh-CN', p + ': not Chinese by default');
      await page.click('#lang');
      must(await page.getAttribute('html', 'lang') === 'en', p + ': lang not en');
      const left = await page.evaluate(() => Array.from(document.querySelectorAll('[data-i18n]'))
        .filter((e) => e.id !== 'lang' && /[\u4e00-\u9fff]/.test(e.textContent)).map((e) => e.dataset.i18n));
      must(left.length === 0, p + ': still Chinese: ' + left.join(','));
    }
  });
  await step('kiosk: attract -> menu; idle timeout clears the screen', async () => {
    await page.goto(base + '/web/kiosk/index.html?idle=1500');
    await shot(page, 'kiosk-attract');
    await page.click('#attract');
    await page.click('#m-face');
    await page.waitForFunction(() => document.getElementById('cam').videoWidth > 0, null, { timeout: 10000 });
    await page.click('#elderly');
    await shot(page, 'kiosk-face-elderly');
    await page.waitForSelector('#attract:not([hidden])', { timeout: 5000 });
    must(await page.isVisible('#idle-note'), 'idle note not shown');
    must(await page.evaluate(() => document.getElementById('cam').srcObject === null), 'camera still open');
    must((await page.textContent('#pane')) === '', 'pane not cleared');
  });
  await step('phone: face consent is separate; without it the refusal names the non-face way', async () => {
    await page.goto(base + '/web/h5/index.html?step=400');
    await page.check('#c-data');
    await page.click('#next');
    const txt = await page.textContent('#problem');
    must(txt.includes('非人脸方式'), 'no non-face way: ' + txt);
    await page.check('#c-face');
    await page.click('#next');
    await page.click('#elderly');
    await page.click('#start');
    await page.waitForSelector('#digit:not(:empty)');
    await shot(page, 'h5-challenge-elderly');
    await page.waitForFunction(() => /4/.test(document.getElementById('done').textContent), null, { timeout: 10000 });
  });
  await step('no page loaded anything from outside the server; no CSP violation', async () => {
    must(offsite.length === 0, 'offsite: ' + offsite.join(' '));
    must(cspErrors.length === 0, cspErrors.join(' | '));
  });
  await ctx.close();

  ctx = await launch(darkY4m);
  page = ctx.pages()[0] || await ctx.newPage();
  await step('dark camera: the refusal shows the API reason in Chinese and English', async () => {
    await login(page, 'clerk');
    await page.setInputFiles('#ref', refJpg);
    await page.click('#cam-on');
    await page.waitForFunction(() => document.getElementById('cam').videoWidth > 0, null, { timeout: 10000 });
    await page.click('#check');
    await page.waitForSelector('#problem:not([hidden])', { timeout: 30000 });
    const txt = await page.textContent('#problem');
    must(/[\u4e00-\u9fff]/.test(txt) && /[a-z]{4}/.test(txt), 'zh/en reason missing: ' + txt);
    must(await page.isHidden('#verdict'), 'a verdict was shown');
    await shot(page, 'console-dark-camera');
  });
  await ctx.close();
  console.log(failed ? 'browser: failures ' + failed : 'browser: all passed');
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log('FAIL browser run: ' + e.message); process.exit(1); });
