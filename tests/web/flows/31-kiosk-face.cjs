// 31-kiosk-face.cjs -- issue 15, the kiosk's 刷脸 login (web/kiosk/face.js):
// the 18-character ID number typed on the on-screen keypad by clicks (X only
// as the last character, backspace, clear; a wrong length refused in the
// page with zh/en), elderly mode and English; the name (the kiosk's touch
// keyboard: page.fill); the separate face consent with 扫码/亮码 named and
// offered; the verification the kiosk device creates (citizen_login,
// liveness actions: the server's challenge shown step by step, timestamped
// frames); the kiosk's fake camera shows a still photo of the person, which
// cannot turn, blink or nod: the server refuses, the page shows the zh/en
// reasons with codes and the next step, no citizen session is opened. A
// wrong name: refused at once (实名), zh/en. Leaving the face login drops
// the typed number. The person is the 30-kiosk one (persons.json's seed 003
// kiosk scenario, 示例辛), photo 2 (the registry holds photo 1).
'use strict';

module.exports = async function (t) {
  const { base, creds, step, must, skip, shot, launch, y4m } = t;
  const p = t.persons.find((x) => /kiosk 房查证明/.test(x.scenario || ''));
  const kioskCred = creds.devices.kiosk.id + ':' + creds.devices.kiosk.key;
  const name = 'seed 003 kiosk 刷脸: keypad, consent, the server\'s liveness challenge with a still photo -> refused (zh/en), no session';
  if (!p) { skip(name, 'no seed 003 kiosk person in persons.json'); return; }
  const ph = t.photos(p.photo_identity);
  if (ph.length < 2) { skip(name, 'needs ../shared/faces (' + p.photo_identity + ')'); return; }

  const ctx = await launch(y4m(ph[1], 'kiosk-face-' + p.photo_identity));
  const page = ctx.pages()[0] || await ctx.newPage();
  const seen = { created: [], frames: [], sessions: 0, verdicts: [] };
  page.on('request', (r) => {
    const u = r.url().split('?')[0];
    if (r.method() !== 'POST') return;
    if (u.endsWith('/v1/verifications')) seen.created.push(JSON.parse(r.postData() || '{}'));
    else if (/\/v1\/verifications\/[^/]+\/frames$/.test(u)) seen.frames.push((JSON.parse(r.postData() || '{}').frames || []).map((f) => f.t_ms));
    else if (u.endsWith('/v1/citizen/sessions')) seen.sessions++;
  });
  page.on('response', async (r) => {
    if (!/\/v1\/verifications(\/[^/]+\/frames)?$/.test(r.url().split('?')[0]) || r.request().method() !== 'POST') return;
    const j = await r.json().catch(() => null);
    if (j) seen.verdicts.push(j);
  });
  const key = (k) => page.click(`#kf-keypad button[data-key="${k}"]`);
  const value = () => page.$eval('#kf-number', (o) => o.dataset.value);
  const typeNumber = async (s) => { for (const c of s) await key(c); };

  await step('seed 003 kiosk 刷脸: the ID-number keypad by clicks (X last only, backspace, clear), a wrong length refused (zh/en), elderly mode, English, axe', async () => {
    await page.goto(base + '/web/kiosk/index.html#device=' + kioskCred);
    await page.click('#attract');
    await page.click('#m-face');
    await page.waitForSelector('#kf-keys:not([hidden])');
    await page.waitForFunction(() => document.getElementById('cam').videoWidth > 0, null, { timeout: 10000 });   // the picture, to stand right
    must(await page.isDisabled('#kf-keypad button[data-key="X"]'), 'X allowed as the first character');
    await typeNumber(p.id_number.slice(0, 10));
    await page.click('#kf-back');
    must(await value() === p.id_number.slice(0, 9), 'backspace: ' + await value());
    must((await page.textContent('#kf-count')).includes('9/18'), 'count: ' + await page.textContent('#kf-count'));
    await page.click('#kf-next');
    await page.waitForSelector('#problem:not([hidden])');
    const pr = await page.textContent('#problem');
    must(/18位/.test(pr) && /18 characters/.test(pr) && /kiosk_id_length/.test(pr) && /9/.test(pr), 'length refusal not zh/en: ' + pr);
    must(await page.isHidden('#kf-consent-box'), 'consent screen after a short number');
    await page.click('#kf-clear');
    must(await value() === '', 'clear left ' + await value());
    await typeNumber(p.id_number.slice(0, 17));
    must(!(await page.isDisabled('#kf-keypad button[data-key="X"]')), 'X refused as the 18th character');
    await key(p.id_number.slice(17));
    must(await value() === p.id_number, 'typed ' + await value());
    must(await page.isDisabled('#kf-keypad button[data-key="0"]'), 'a 19th character allowed');
    must(await page.isHidden('#problem'), 'old refusal left on screen');
    await page.click('#elderly');
    await page.click('#lang');
    const en = await page.textContent('#kf-keys');
    must(en.includes('Resident ID number (18 characters)') && en.includes('18 of 18 entered') && en.includes('Delete'), 'keypad not in English: ' + en.slice(0, 200));
    await page.click('#lang');
    const big = await page.$eval('#kf-keypad button[data-key="5"]', (b) => b.getBoundingClientRect().height);
    must(big >= 80, 'keys not large in elderly mode: ' + big + ' px');
    const ax = await t.axe(page);
    must(ax.length === 0, 'axe (kiosk keypad): ' + ax.join(', '));
    // the keypad box alone: the camera's picture (a dev-set face) stays out of the screenshot kept in docs/
    await page.locator('#face-box').screenshot({ path: require('path').join(t.out, 'kiosk-face-keypad.png') });
    await page.click('#elderly');
  });

  await step(name, async () => {
    must(await value() === p.id_number, 'no number (previous step)');
    await page.fill('#kf-name', p.name);   // the kiosk's system touch keyboard
    await page.click('#kf-next');
    await page.waitForSelector('#kf-consent-box:not([hidden])');
    const c = await page.textContent('#kf-consent-box');
    must(c.includes('单独同意') && c.includes('扫码登录') && c.includes('亮码登录'), 'consent / non-face ways: ' + c);
    must(await page.isVisible('#kf-consent-box button.alt-scan') && await page.isVisible('#kf-consent-box button.alt-show'), '扫码/亮码 not offered');
    await page.click('#kf-go');   // without the tick
    await page.waitForSelector('#problem:not([hidden])');
    const nc = await page.textContent('#problem');
    must(nc.includes('未同意人脸采集') && nc.includes('No consent') && nc.includes('kiosk_face_consent'), 'no-consent refusal: ' + nc);
    must(seen.created.length === 0 && seen.frames.length === 0, 'a verification or frames without consent');
    await page.check('#kf-consent');
    await page.click('#kf-go');
    // the server's challenge, one step at a time
    for (let i = 0; i < 100 && !seen.verdicts.length; i++) await page.waitForTimeout(200);
    await page.waitForFunction(() => { const s = document.getElementById('kf-prompt').textContent; return s && !/准备|Preparing|核验/.test(s); }, null, { timeout: 20000 });
    const v0 = seen.verdicts[0] || {};
    const steps = ((v0.challenge || {}).steps || []);
    must(steps.length >= 2, 'no actions challenge from the server: ' + JSON.stringify(v0).slice(0, 200));
    // an action's prompt (not only the lead-in) comes up at the server's time
    const zh = steps.map((s) => (s.prompt || {}).zh).filter(Boolean);
    await page.waitForFunction((zh) => zh.includes(document.getElementById('kf-prompt').textContent), zh, { timeout: 20000 });
    must(!(await page.isHidden('#cam')), 'camera not shown during the challenge');
    await shot(page, 'kiosk-face-challenge');
    const cr = seen.created[0];
    must(cr.matter === 'citizen_login' && cr.liveness === 'actions' && cr.consent.face_processing === true &&
         cr.id_number === p.id_number && cr.name === p.name, 'verification request: ' + JSON.stringify({ ...cr, id_number: '…' }));
    await page.waitForSelector('#kf-verdict:not([hidden]), #session:not([hidden])', { timeout: 60000 });
    // a still photo turns, blinks and nods for nobody: refused, and that is what the page must say
    must(await page.isVisible('#kf-verdict'), 'a still photo passed an actions challenge (logged in)');
    const f = seen.frames[0] || [];
    must(f.length >= 10 && f.every((x, i) => !i || x > f[i - 1]), 'frames not timestamped in order: ' + f.length);
    const r = seen.verdicts[seen.verdicts.length - 1];
    must(r && r.passed === false && (r.reasons || []).length, 'server verdict: ' + JSON.stringify(r).slice(0, 200));
    const txt = await page.textContent('#kf-verdict');
    for (const x of r.reasons) must(txt.includes(x.zh) && txt.includes(x.en) && txt.includes('[' + x.code + ']'), 'reason not shown zh/en: ' + x.code);
    must(/下一步/.test(txt) && await page.isVisible('#kf-retry') && await page.isVisible('#kf-verdict button.alt-scan') &&
         await page.isVisible('#kf-verdict button.alt-show'), 'next step / retry / 扫码亮码 missing: ' + txt);
    must(seen.sessions === 0 && (await page.evaluate(() => document.body.dataset.session || '')) === '' && await page.isHidden('#session'), 'a session was opened');
    must(await page.evaluate(() => document.getElementById('cam').srcObject === null), 'camera left open');
    await shot(page, 'kiosk-face-refused');
  });

  await step('seed 003 kiosk 刷脸: try again keeps the number and asks the consent again; a wrong name refused at once (zh/en); leaving or 扫码 wipes the number', async () => {
    must(await page.isVisible('#kf-retry'), 'no retry (previous step)');
    await page.click('#kf-retry');
    await page.waitForSelector('#kf-keys:not([hidden])');
    must(await value() === p.id_number, 'number lost on retry');
    await page.fill('#kf-name', p.name.slice(0, 2) + '某');
    await page.click('#kf-next');
    must(!(await page.isChecked('#kf-consent')), 'consent kept from the last try');
    await page.check('#kf-consent');
    const n = seen.verdicts.length;
    await page.click('#kf-go');
    await page.waitForSelector('#kf-verdict:not([hidden])', { timeout: 20000 });
    for (let i = 0; i < 50 && seen.verdicts.length === n; i++) await page.waitForTimeout(100);
    const r = seen.verdicts[n];
    must(r && r.passed === false && r.status === 'decided', 'wrong name not decided at once: ' + JSON.stringify(r).slice(0, 200));
    must(seen.frames.length === 1, 'frames sent for a refused name');
    const txt = await page.textContent('#kf-verdict');
    must(r.reasons.every((x) => txt.includes(x.zh) && txt.includes(x.en)) && /name_mismatch/.test(txt), 'name refusal: ' + txt);
    must(!txt.includes(p.name), 'the registry name shown: ' + txt);
    await page.click('#home');
    await page.click('#attract');
    await page.click('#m-face');
    must(await value() === '' && (await page.inputValue('#kf-name')) === '', 'the typed number or name kept after leaving');
    // the non-face way from the consent screen: 扫码 at this kiosk, the number dropped
    await typeNumber(p.id_number);
    await page.fill('#kf-name', p.name);
    await page.click('#kf-next');
    await page.click('#kf-consent-box button.alt-scan');
    await page.waitForSelector('#scan-box:not([hidden])', { timeout: 10000 });
    must(await page.isHidden('#face-box'), 'face login left on screen under 扫码');
    await page.click('#m-face');
    must(await value() === '', 'the number kept after switching to 扫码');
    must(seen.sessions === 0, 'a session was opened');
  });
  await ctx.close();
};
