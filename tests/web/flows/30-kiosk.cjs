// 30-kiosk.cjs -- seed 003, the 24-hour kiosk, end to end in the browser:
// 扫码 (the kiosk shows its QR; a second context is the phone, its fake
// camera fed a screenshot of that QR; the phone shows which kiosk it is
// about to log in and approves), the matters offered at the kiosk, the
// 房查证明 refused without consent then issued, printed (print media and
// PDF: the certificate only) and checked on the public page; 亮码 (the
// phone shows its identity code; a kiosk whose camera is fed that
// screenshot logs in); the idle timeout drops the session on the server.
// The person is persons.json's seed 003 kiosk scenario (示例辛); the phone's
// citizen session comes from the real API (a passed citizen_login
// verification -> POST /v1/citizen/sessions).
'use strict';
const path = require('path');

module.exports = async function (t) {
  const { base, creds, step, must, api, dev, staff, shot, launch, y4m, out } = t;
  const p = t.persons.find((x) => /kiosk 房查证明/.test(x.scenario || ''));
  const kioskCred = creds.devices.kiosk.id + ':' + creds.devices.kiosk.key;
  const h5Cred = creds.devices.h5.id + ':' + creds.devices.h5.key;
  let phoneToken = null, kctx = null, pctx = null, kpage = null, ppage = null, cert = null;
  // the citizen token a kiosk page receives, read from its own responses
  function watchToken(page, box) {
    page.on('response', async (r) => {
      if (!/\/v1\/(kiosk\/logins\/[^/?]+|id-codes\/verify)$/.test(r.url().split('?')[0])) return;
      const j = await r.json().catch(() => null);
      if (j && j.citizen && j.citizen.token) box.token = j.citizen.token;
    });
  }
  const kTok = {};

  await step('seed 003 kiosk 扫码: the kiosk QR scanned by the phone, the phone confirms the kiosk, the kiosk is logged in', async () => {
    must(p, 'no seed 003 kiosk person in persons.json');
    // the phone's citizen session, as the government app would hold it
    const v = await api('POST', '/v1/verifications', await staff('clerk'), { id_type: p.id_type, id_number: p.id_number, name: p.name,
      levels: ['real_name', 'real_person', 'real_document'], method: 'alternative', matter: 'citizen_login', reference: 'kiosk-flow' });
    const r = await api('POST', `/v1/verifications/${v.id}/alternative`, await staff('clerk'), { method: 'clerk_document_check', document: '居民身份证原件' });
    must(r.passed, 'setup verification refused');
    phoneToken = (await api('POST', '/v1/citizen/sessions', dev('h5'), { verification: v.id })).token;

    kctx = await launch(t.faceY4m);
    kpage = kctx.pages()[0] || await kctx.newPage();
    watchToken(kpage, kTok);
    await kpage.goto(base + '/web/kiosk/index.html#device=' + kioskCred);
    must(!kpage.url().includes('#device'), 'kiosk credential left in the URL');
    await kpage.click('#attract');
    await kpage.click('#m-scan');
    await kpage.waitForFunction(() => { const i = document.getElementById('scan-qr'); return !i.closest('[hidden]') && i.naturalWidth > 0; }, null, { timeout: 10000 });
    await shot(kpage, 'kiosk-scan-qr');
    const png = path.join(out, 'kiosk-scan-qr-code.png');
    await kpage.locator('#scan-qr').screenshot({ path: png });

    pctx = await launch(y4m(png, 'kiosk-scan-qr'));
    ppage = pctx.pages()[0] || await pctx.newPage();
    await ppage.goto(base + '/web/h5/index.html#device=' + h5Cred + '&citizen=' + phoneToken);
    must(!ppage.url().includes('citizen='), 'citizen token left in the URL');
    await ppage.waitForSelector('#me-nav:not([hidden])');
    await ppage.click('#me-scan');
    await ppage.waitForSelector('#me-confirm', { timeout: 20000 });
    const q = await ppage.textContent('#me-confirm');
    must(q.includes(creds.hall_name || 'demo') || /：.+·/.test(q), 'kiosk/hall not shown: ' + q);
    await shot(ppage, 'phone-scan-confirm');
    await ppage.click('#me-yes');
    await ppage.waitForSelector('#me-done', { timeout: 10000 });

    await kpage.waitForSelector('#session:not([hidden])', { timeout: 15000 });
    const w = await kpage.textContent('#welcome');
    must(w.includes(p.name.slice(0, 1) + '*') && !w.includes(p.name), 'welcome not the masked name: ' + w);
    must(await kpage.evaluate(() => document.getElementById('scan-qr').closest('[hidden]') !== null), 'QR still shown');
    must(kTok.token, 'no citizen session reached the kiosk');
    const me = await api('GET', '/v1/me', 'Bearer ' + kTok.token);
    must(String(me.person_id) === String((creds.persons.find((x) => x.name === p.name) || {}).person_id), 'kiosk session is not ' + p.name);
    // the catalogue's kiosk matters, and only those
    const all = (await api('GET', '/v1/matters')).matters;
    const kiosk = all.filter((m) => (m.channels || []).includes('kiosk')).map((m) => m.code).sort();
    const shown = (await kpage.$$eval('#matters li', (ls) => ls.map((l) => l.dataset.code))).sort();
    must(JSON.stringify(kiosk) === JSON.stringify(shown) && shown.includes('bdc.fangcha_zhengming'), 'matters: ' + shown.join(','));
    must(await kpage.isHidden('#attract') && await kpage.isHidden('#menu'), 'attract screen or login menu left on screen');
    const ax = await t.axe(kpage);
    must(ax.length === 0, 'axe (kiosk logged in): ' + ax.join(', '));
    await kpage.click('#lang');
    must((await kpage.textContent('#session')).includes('Matters available at this kiosk') &&
         (await kpage.textContent('#matters')).includes('Certificate of real-estate records'), 'logged-in screen not in English');
    await kpage.click('#lang');
    await shot(kpage, 'kiosk-logged-in');
  });

  await step('seed 003 kiosk: 房查证明 refused without consent (zh/en), issued with it, printed without the kiosk chrome', async () => {
    must(kpage && !(await kpage.isHidden('#session')), 'not logged in (previous step)');
    await kpage.click('#matters button.do[data-code="bdc.fangcha_zhengming"]');
    await kpage.click('#pc-go');
    await kpage.waitForSelector('#s-problem:not([hidden])');
    const pr = await kpage.textContent('#s-problem');
    must(/kiosk_consent/.test(pr) && /[\u4e00-\u9fff]/.test(pr) && /[a-z]{4} [a-z]{4}/.test(pr), 'refusal: ' + pr);
    await kpage.check('#pc-consent');
    await kpage.click('#pc-go');
    await kpage.waitForSelector('#cert:not([hidden]) svg.qr', { timeout: 10000 });
    const serial = (await kpage.textContent('#cert-serial')).trim();
    must(/^FC\d{14}$/.test(serial), 'serial: ' + serial);
    cert = { serial, qr: (await kpage.textContent('#cert-code')).trim() };
    await kpage.emulateMedia({ media: 'print' });
    const printed = await kpage.evaluate(() => document.body.innerText);
    must(printed.includes('不动产登记信息查询证明') && printed.includes(serial) && printed.includes(p.name.slice(0, 1) + '*'), 'certificate text not printed');
    must(printed.includes('/web/kiosk/check.html') && printed.includes(cert.qr.slice(0, 24)), 'verify address/code not printed');
    must(!printed.includes(p.name) && !printed.includes(p.id_number), 'full name or number printed');
    for (const chrome of ['24小时自助终端', '本终端可办理的事项', '退出登录', '打印证明', '查询并开具证明', 'English', '长辈模式', '扫码登录'])
      must(!printed.includes(chrome), 'kiosk chrome printed: ' + chrome);
    must(await kpage.isVisible('#cert svg.qr'), 'QR not printed');
    const pdf = await kpage.pdf({ path: path.join(out, 'kiosk-certificate.pdf'), format: 'A4' });
    must(pdf.length > 5000 && pdf.slice(0, 5).toString() === '%PDF-', 'no PDF');
    await shot(kpage, 'kiosk-certificate-print');
    await kpage.emulateMedia({ media: 'screen' });
  });

  await step('seed 003: the certificate checked on the public page; one changed character refused with its reason', async () => {
    must(cert, 'no certificate (previous step)');
    const page = await kctx.newPage();
    await page.goto(base + '/web/kiosk/check.html#code=' + encodeURIComponent(cert.qr));
    await page.waitForSelector('#check-result:not([hidden])', { timeout: 10000 });
    const r = await page.textContent('#check-result');
    must(r.includes('证明真实有效') && r.includes(cert.serial) && r.includes(p.name.slice(0, 1) + '*'), 'check: ' + r);
    await shot(page, 'kiosk-certificate-check');
    const last = cert.qr.slice(-1) === '0' ? '1' : '0';
    await page.fill('#check-code', cert.qr.slice(0, -1) + last);
    await page.click('#check-go');
    await page.waitForSelector('#problem:not([hidden])');
    const pr = await page.textContent('#problem');
    must(/[\u4e00-\u9fff]/.test(pr) && /\[[a-z_]+\]/.test(pr), 'tampered code: ' + pr);
    await page.close();
    // logout on the kiosk ends the session on the server
    const tok = kTok.token;
    await kpage.click('#logout');
    await kpage.waitForSelector('body[data-session="closed"]', { timeout: 10000 });
    must(await kpage.isVisible('#attract') && (await kpage.textContent('#cert-body')) === '', 'screen not cleared');
    const me = await fetch(base + '/v1/me', { headers: { Authorization: 'Bearer ' + tok } });
    must(me.status === 401, 'old token after logout: ' + me.status);
  });
  if (kctx) { await kctx.close(); kctx = null; }

  await step('seed 003 kiosk 亮码: the phone shows its identity code, the kiosk camera reads it -> logged in; idle timeout drops the session', async () => {
    must(ppage, 'no phone (first step)');
    await ppage.click('#me-code');
    await ppage.waitForFunction(() => { const i = document.getElementById('me-code-img'); return i && i.naturalWidth > 0; }, null, { timeout: 10000 });
    must(/\d+/.test(await ppage.textContent('#me-code-left')), 'no countdown');
    await shot(ppage, 'phone-identity-code');
    const ax = await t.axe(ppage);
    must(ax.length === 0, 'axe (phone identity code): ' + ax.join(', '));
    const png = path.join(out, 'phone-identity-code-qr.png');
    await ppage.locator('#me-code-img').screenshot({ path: png });

    const box = {};
    kctx = await launch(y4m(png, 'phone-identity-code'));
    kpage = kctx.pages()[0] || await kctx.newPage();
    watchToken(kpage, box);
    await kpage.goto(base + '/web/kiosk/index.html?idle=6000#device=' + kioskCred);
    await kpage.click('#attract');
    await kpage.click('#m-show');
    await kpage.waitForSelector('#session:not([hidden])', { timeout: 20000 });
    must(box.token, 'no citizen session from 亮码');
    const me = await fetch(base + '/v1/me', { headers: { Authorization: 'Bearer ' + box.token } });
    must(me.status === 200, 'fresh 亮码 session refused: ' + me.status);
    must((await kpage.textContent('#welcome')).includes(p.name.slice(0, 1) + '*'), 'welcome');
    must(await kpage.evaluate(() => document.getElementById('cam').srcObject === null), 'camera left open after login');
    // no touch for ?idle=6000: the screen clears and the session is revoked
    await kpage.waitForSelector('#attract:not([hidden])', { timeout: 15000 });
    await kpage.waitForSelector('body[data-session="closed"]', { timeout: 10000 });
    must(await kpage.isVisible('#idle-note'), 'idle note not shown');
    must(await kpage.isHidden('#session') && (await kpage.textContent('#welcome')) === '' && (await kpage.textContent('#matters')) === '', 'screen not cleared');
    const after = await fetch(base + '/v1/me', { headers: { Authorization: 'Bearer ' + box.token } });
    must(after.status === 401, 'old token after the idle timeout: ' + after.status);
  });
  if (kctx) await kctx.close();
  if (pctx) await pctx.close();
};
