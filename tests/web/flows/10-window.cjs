// 10-window.cjs -- seed 000 情形二 and seed 004 at the window console:
// a returning visitor (示例丁, in the demo hall's library) identified by
// face alone and confirmed by the clerk; a stranger -> unknown with the
// other ways offered at once; a first-time visitor (示例乙) enrolled after
// a verified visit with her separate consent, then identified from another
// photo; the temporary credential of 示例壬 issued, printed (print media:
// the credential, none of the console), checked on the public page in a
// fresh browser, revoked -> the public page says revoked.
'use strict';
const fs = require('fs');
const path = require('path');

module.exports = async function (t) {
  const { base, creds, step, must, skip } = t;
  const ding = t.person('示例丁'), yi = t.person('示例乙'), ren = t.person('示例壬');
  const hall = creds.hall;
  const settle = (page) => page.waitForFunction(() => !document.getElementById('v-go').disabled &&
    (!document.getElementById('verdict').hidden || !document.getElementById('problem').hidden ||
     !document.getElementById('ident').hidden), null, { timeout: 60000 });
  async function camOn(page) {
    await page.click('#cam-on');
    await page.waitForFunction(() => document.getElementById('cam').videoWidth > 0, null, { timeout: 10000 });
    await page.waitForTimeout(500);
  }
  async function clerkPage(ctx) {
    const page = ctx.pages()[0] || await ctx.newPage();
    await t.login(page, 'clerk');
    await page.waitForSelector('#v-matter option[value="temp_credential"]', { state: 'attached' });
    return page;
  }

  // ---- 情形二: the returning visitor, face alone ----
  const entry = ((creds.hall_library || {}).persons || []).find((x) => x.name === ding.name);
  const dPhotos = t.photos(ding.photo_identity);
  const probe = entry && entry.identify_with && path.join(t.facesDir || '', ding.photo_identity, path.basename(entry.identify_with));
  if (!t.facesDir || !entry || !probe || !fs.existsSync(probe) || dPhotos.length < 4) {
    skip('window 情形二 returning visitor by face alone', `no library entry or photos of ${ding.photo_identity} under ${t.facesDir || '(no faces dir)'}`);
  } else {
    const ctx = await t.launch(t.y4m(probe, 'returning-ding'));
    try {
      const page = await clerkPage(ctx);
      await step('window 情形二: 示例丁 identified by face alone (masked name, score, threshold), nothing done before the clerk confirms', async () => {
        await page.check('input[name="v-method"][value="returning"]');
        must(await page.isHidden('#v-consent') && await page.isHidden('#v-code') && await page.isHidden('#v-number'),
          'face-only way shows document fields');
        await page.selectOption('#v-matter', 'bdc.buzheng');
        await camOn(page);
        await page.click('#v-go');
        await settle(page);
        const txt = await page.textContent('#ident');
        must(txt.includes('示**') && /相似度 0\.\d{3}/.test(txt) && txt.includes('阈值 0.45') && txt.includes('10⁻⁴'),
          'proposal lacks masked name/score/threshold: ' + txt + ' | ' + await page.textContent('#problem'));
        must(!txt.includes(ding.name), 'the full name was shown');
        must(await page.isHidden('#verdict'), 'a verdict before the confirmation');
        await t.shot(page, 'console-returning');
        const ax = await t.axe(page);
        must(ax.length === 0, 'axe (returning visitor): ' + ax.join(', '));
      });
      await step('window 情形二: the clerk confirms -> a passed 1:N verification for the matter, in English too', async () => {
        await page.click('#ident-yes');
        await page.waitForSelector('#verdict:not([hidden])');
        const v = await page.textContent('#verdict');
        must(v.includes('核验通过') && v.includes('1:N') && v.includes('示**') && /相似度 0\.\d{3}/.test(v), 'verdict: ' + v);
        must(await page.isHidden('#ident'), 'proposal still shown');
        const id = /核验编号 (\d+)/.exec(v);
        must(id, 'no verification id: ' + v);
        await page.click('#lang');
        const e = await page.textContent('#verdict');
        must(e.includes('Verified') && e.includes('library identification'), 'not English: ' + e);
        await page.click('#lang');
      });
      await step('window 情形二: "not this person" -> the other ways offered, nothing confirmed', async () => {
        await page.click('#v-go');
        await settle(page);
        await page.waitForSelector('#ident-no');
        await page.click('#ident-no');
        const txt = await page.textContent('#ident');
        must(txt.includes('已否决') && txt.includes('工作人员核验证件原件') && txt.includes('电子身份码'), 'rejected: ' + txt);
        await page.click('button.way[data-way="clerk_document_check"]');
        must(await page.isChecked('input[name="v-method"][value="clerk_document_check"]') &&
          await page.evaluate(() => document.activeElement.id) === 'v-number', 'the way was not taken');
      });
      await step('window 情形二 -> seed 004: the confirmed returning visitor gets a temporary credential in her name', async () => {
        await page.check('input[name="v-method"][value="returning"]');
        await page.selectOption('#v-matter', 'temp_credential');
        await page.click('#v-go');
        await settle(page);
        await page.waitForSelector('#ident-yes');
        await page.click('#ident-yes');
        await page.waitForSelector('#cred-go:visible');
        await page.click('#cred-go');
        await page.waitForFunction(() => !document.getElementById('cred').hidden || !document.getElementById('cred-problem').hidden,
          null, { timeout: 30000 });
        const doc = await page.textContent('#cred-doc') + ' | ' + await page.textContent('#cred-problem');
        must(doc.includes('示**') && doc.includes('3303**********3022') && !doc.includes(ding.name), 'credential of 示例丁: ' + doc.slice(0, 300));
        await page.click('#cred-close');
      });
    } finally { await ctx.close(); }
  }

  // ---- a stranger: unknown, the other ways at once ----
  const strangerPhoto = t.facesDir && fs.existsSync(path.join(t.facesDir, 'Adam_Sandler', '1.jpg'))
    ? path.join(t.facesDir, 'Adam_Sandler', '1.jpg') : null;
  if (!strangerPhoto) {
    skip('window 情形二 stranger -> unknown', `no photo of Adam_Sandler under ${t.facesDir || '(no faces dir)'}`);
  } else {
    const ctx = await t.launch(t.y4m(strangerPhoto, 'stranger'));
    try {
      const page = await clerkPage(ctx);
      await step('window 情形二: a stranger (in no library) -> unknown with the zh/en reason and the other ways offered', async () => {
        await page.check('input[name="v-method"][value="returning"]');
        await camOn(page);
        await page.click('#v-go');
        await settle(page);
        const txt = await page.textContent('#ident') + ' | ' + await page.textContent('#problem');
        must(txt.includes('未识别') && txt.includes('below_threshold') && /nobody in the library/.test(txt), 'unknown: ' + txt);
        must(txt.includes('人脸 + 证件') && txt.includes('读取身份证') && txt.includes('电子身份码'), 'other ways missing: ' + txt);
        must(await page.$('#ident-yes') === null && await page.isHidden('#verdict'), 'a stranger could be confirmed');
        await t.shot(page, 'console-unknown');
        await page.click('#lang');
        const e = await page.textContent('#ident');
        must(e.includes('Unknown') && e.includes('Use one of these ways'), 'not English: ' + e);
        await page.click('#lang');
      });
    } finally { await ctx.close(); }
  }

  // ---- a first-time visitor becomes a returning one ----
  const yPhotos = t.photos(yi.photo_identity);
  const yLive = yPhotos.find((f) => path.basename(f) === '3.jpg'), yLater = yPhotos.find((f) => path.basename(f) === '4.jpg');
  if (!yLive || !yLater) {
    skip('window: enrolment after a verified visit', `no photos 3/4 of ${yi.photo_identity} under ${t.facesDir || '(no faces dir)'}`);
  } else {
    const ctx = await t.launch(t.y4m(yLive, 'first-yi'));
    try {
      const page = await clerkPage(ctx);
      await step('window: 示例乙 verified (face + document), enrolled in the hall library only with her separate consent', async () => {
        await page.selectOption('#v-matter', 'bdc.buzheng');
        await page.fill('#v-number', yi.id_number);
        await page.fill('#v-name', yi.name);
        await page.check('input[name="v-method"][value="face"]');
        await page.check('#v-consent');
        await camOn(page);
        await page.click('#v-go');
        await settle(page);
        const v = await page.textContent('#verdict') + ' | ' + await page.textContent('#problem');
        must(v.includes('核验通过'), 'not verified: ' + v);
        must(await page.isVisible('#enrol-go'), 'enrolment not offered');
        await page.click('#enrol-go');            // consent not ticked: refused, nothing enrolled
        await page.waitForSelector('#problem:not([hidden])');
        must((await page.textContent('#problem')).includes('单独同意'), 'no consent refusal');
        await page.check('#enrol-consent');
        await page.click('#enrol-go');
        await page.waitForFunction(() => !document.getElementById('enrol-done').hidden || !document.getElementById('problem').hidden,
          null, { timeout: 60000 });
        const d = await page.textContent('#enrol-done') + ' | ' + await page.textContent('#problem');
        must(d.includes('已存入肖像库'), 'enrolment: ' + d);
        await t.shot(page, 'console-enrolled');
        // next visit: another photo of her, by face alone
        const a = await t.api('POST', `/v1/halls/${hall}/identify`, await t.staff('clerk'), { image: t.b64(yLater) });
        must(a.decision === 'match' && a.candidates[0].name_masked === '示**', 'not identified afterwards: ' + JSON.stringify(a).slice(0, 200));
      });
    } finally { await ctx.close(); }
  }

  // ---- seed 004: the temporary credential ----
  let code = null, serial = null;
  const ctx = await t.launch(t.darkY4m);    // no camera needed: the clerk checks the original document
  const page = ctx.pages()[0] || await ctx.newPage();
  try {
    await step('seed 004: 示例壬 verified at the window for temp_credential, the credential issued and shown', async () => {
      await t.login(page, 'clerk');
      await page.waitForSelector('#v-matter option[value="temp_credential"]', { state: 'attached' });
      await page.selectOption('#v-matter', 'temp_credential');
      await page.fill('#v-number', ren.id_number);
      await page.fill('#v-name', ren.name);
      await page.check('input[name="v-method"][value="clerk_document_check"]');
      await page.click('#v-go');
      await settle(page);
      must((await page.textContent('#verdict')).includes('核验通过'), 'not verified: ' + await page.textContent('#problem'));
      must(await page.isVisible('#cred-go'), 'credential not offered');
      await page.selectOption('#cred-purpose', 'hj.toukao_qianru');
      await page.fill('#cred-hours', '48');
      await page.click('#cred-go');
      await page.waitForFunction(() => !document.getElementById('cred').hidden || !document.getElementById('cred-problem').hidden,
        null, { timeout: 30000 });
      const doc = await page.textContent('#cred-doc');
      const m = /编号 Serial:\s*(TC\d+)/.exec(doc), c = /#code=([A-Z0-9]{8})/.exec(doc);
      must(m && c, 'credential: ' + doc.slice(0, 300) + ' | ' + await page.textContent('#cred-problem'));
      serial = m[1]; code = c[1];
      must(doc.includes('3301**********2016') && doc.includes('示**') && doc.includes(code) && !doc.includes(ren.id_number) &&
        !doc.includes(ren.name), 'masked holder/code: ' + doc.slice(0, 300));
      must(await page.$('#cred-doc svg.qr') !== null && await page.$('#cred-doc img.photo') !== null, 'no QR or photo');
      must(await page.isHidden('#cred-go'), 'the consumed verification offered again');
    });
    await step('seed 004: print -> only the credential (title, serial, masked holder, photo, validity, QR, check address), no console chrome; PDF', async () => {
      await page.emulateMedia({ media: 'print' });
      const vis = await page.evaluate(() => {
        const shown = (q) => { const e = document.querySelector(q); return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'; };
        return { doc: shown('#cred-doc'), qr: shown('#cred-doc svg.qr'), photo: shown('#cred-doc img.photo'), url: shown('#cred-doc .check-url'),
                 bar: shown('header.bar'), nav: shown('#nav'), verify: shown('#verify'), buttons: shown('#cred-print'),
                 revoke: shown('#cred-revoke-form'), text: document.body.innerText };
      });
      must(vis.doc && vis.qr && vis.photo && vis.url, 'credential parts hidden in print: ' + JSON.stringify({ ...vis, text: undefined }));
      must(!vis.bar && !vis.nav && !vis.verify && !vis.buttons && !vis.revoke, 'console chrome printed: ' + JSON.stringify({ ...vis, text: undefined }));
      must(vis.text.includes('临时身份证明') && vis.text.includes(serial) && vis.text.includes('示') && !vis.text.includes('窗口工作台'), 'print text: ' + vis.text.slice(0, 300));
      await t.shot(page, 'credential-print');
      const pdf = path.join(t.out, 'credential.pdf');
      await page.pdf({ path: pdf, format: 'A4' });
      must(fs.statSync(pdf).size > 5000, 'PDF too small');
      await page.emulateMedia({ media: 'screen' });
    });
  } catch (e) { await ctx.close(); throw e; }

  // the public page in a fresh browser: no login, the printed address
  const pub = await t.launch(t.darkY4m);
  try {
    const p2 = pub.pages()[0] || await pub.newPage();
    await step('seed 004: the public check page (no login, fresh browser) says valid with masked name and photo only', async () => {
      must(code, 'no credential issued');
      await p2.goto(base + '/web/check/index.html#code=' + code);
      await p2.waitForSelector('#check-result:not([hidden])');
      must(!p2.url().includes(code), 'the code left in the address bar');
      const txt = await p2.textContent('#check-result');
      must(txt.includes('有效') && txt.includes('示**') && txt.includes('3301**********2016'), 'check: ' + txt);
      must(!txt.includes(ren.name) && !txt.includes(ren.id_number), 'the check shows more than the masked data: ' + txt);
      must(await p2.$('#check-result img.photo') !== null, 'no photo to compare');
      await t.shot(p2, 'check-valid');
      const ax = await t.axe(p2);
      must(ax.length === 0, 'axe (check page): ' + ax.join(', '));
      await p2.click('#lang');
      must((await p2.textContent('#check-result')).includes('VALID'), 'not English');
      await p2.click('#lang');
    });
    await step('seed 004: an unknown code on the public page -> unknown with the API\'s zh/en reason and the next step', async () => {
      await p2.fill('#check-code', 'ABCDEFGH');
      await p2.click('#check-go');
      await p2.waitForSelector('#check-problem:not([hidden])');
      const txt = await p2.textContent('#check-result') + ' | ' + await p2.textContent('#check-problem');
      must(txt.includes('无法核验') && txt.includes('print_token') && /[\u4e00-\u9fff]/.test(txt) && /check it and type/.test(txt), 'unknown: ' + txt);
    });
    await step('seed 004: the clerk revokes it -> the public page says revoked (no photo, no name)', async () => {
      must(serial, 'no credential issued');
      await page.fill('#cred-reason', '遗失');
      await page.click('#cred-revoke');
      await page.waitForFunction(() => document.getElementById('cred-revoke').disabled || !document.getElementById('cred-problem').hidden);
      must((await page.textContent('#cred-state')).includes('已作废'), 'revoke: ' + await page.textContent('#cred-problem'));
      await p2.fill('#check-code', code);
      await p2.click('#check-go');
      await p2.waitForFunction(() => document.getElementById('check-result').dataset.status === 'revoked' ||
        !document.getElementById('check-problem').hidden, null, { timeout: 10000 });
      const txt = await p2.textContent('#check-result');
      must(txt.includes('已作废') && await p2.$('#check-result img.photo') === null && !txt.includes('示**'), 'revoked: ' + txt);
      await t.shot(p2, 'check-revoked');
    });
  } finally { await pub.close(); await ctx.close(); }
};
