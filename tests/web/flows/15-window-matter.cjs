// 15-window-matter.cjs -- issue 15, the window console runs the matter
// after 刷脸办: the clerk verifies 示例甲 for bdc.buzheng (不动产 补证, seed
// 000) by the non-face way (clerk's check of the original document: no
// camera needed), opens 办理此事项: a missing required field is refused
// with the API's zh/en reason and the form kept; a licence fetch without
// the applicant's consent is refused (licence_consent, nothing read); with
// the consent tick the resident-ID licence fills the 免提交 material; the
// commitment is e-signed, the application submitted and accepted (on
// hold: the loss declaration), the ownership material filled from shared
// data, the receipt shown and printed (print media: the receipt, none of
// the console). 换证 for 示例丁: a material to hand in not ticked is
// refused in the page (zh/en, the list), the licence declined for the
// paper copy, then accepted. Server-side checks: the licence use names its consent,
// the commitment signature is kept with the application.
'use strict';

module.exports = async function (t) {
  const { step, must } = t;
  const jia = t.person('示例甲');
  const ctx = await t.launch(t.faceY4m);
  const page = ctx.pages()[0] || await ctx.newPage();
  const problemText = async () => (await page.isVisible('#m-problem')) ? page.textContent('#m-problem') : '';
  const waitIdle = (sel) => page.waitForFunction((s) => { const b = document.querySelector(s); return b && !b.disabled; }, sel, { timeout: 30000 });
  let serial = null, appId = null;
  try {
    await step('window matter: 示例甲 verified for 补证 by the clerk\'s document check, 办理此事项 offered with the form, materials and commitment', async () => {
      await t.login(page, 'clerk');
      await page.waitForSelector('#v-matter option[value="bdc.buzheng"]', { state: 'attached' });
      await page.selectOption('#v-matter', 'bdc.buzheng');
      await page.fill('#v-number', jia.id_number);
      await page.fill('#v-name', jia.name);
      await page.check('input[name="v-method"][value="clerk_document_check"]');
      await page.click('#v-go');
      await page.waitForSelector('#matter:not([hidden]) #m-open', { timeout: 30000 });
      must((await page.textContent('#verdict')).includes('核验通过'), 'not verified: ' + await page.textContent('#verdict'));
      await page.focus('#m-open');
      await page.keyboard.press('Enter');      // keyboard-usable
      await page.waitForSelector('#m-form #m-f-loss_reason');
      must(await page.isHidden('#m-open'), 'the open button stays after opening');
      const body = await page.textContent('#m-body');
      must(!/\bnull\b|undefined/.test(body), 'null/undefined shown: ' + body);
      for (const want of ['遗失情况说明', '申请人居民身份证', '免提交', '来源：电子证照（resident_id）', '来源：共享数据（land_property）',
                          '系统生成', '本人知晓采用电子身份证明验证身份的风险'])
        must(body.includes(want), 'missing in the matter panel: ' + want);
    });
    await step('window matter: a missing required field is refused with the API\'s zh/en reason, the form kept', async () => {
      await page.fill('#m-f-cert_no', '浙(2026)温州市不动产权第0012345号');
      await page.click('#m-create');
      await page.waitForSelector('#m-problem:not([hidden])');
      const p = await problemText();
      must(p.includes('提交的内容无效') && p.includes('The input was rejected') && p.includes('[application_form]'), 'no zh/en refusal: ' + p);
      must(await page.inputValue('#m-f-cert_no') === '浙(2026)温州市不动产权第0012345号', 'the form was not kept');
      await t.shot(page, 'console-matter-refused');
      await page.fill('#m-f-loss_reason', '搬家时遗失');
      await page.click('#m-create');
      await page.waitForSelector('#m-created');
      serial = ((await page.textContent('#m-created')).match(/SL[0-9-]+/) || [])[0];
      must(serial, 'no serial: ' + await page.textContent('#m-created'));
      must(await page.isHidden('#m-problem'), 'refusal still shown');
    });
    await step('window matter: a licence fetch without the applicant\'s consent is refused (licence_consent), then with it the licence fills the 免提交 material', async () => {
      await page.click('#m-fetch');
      await page.waitForSelector('#m-problem:not([hidden])');
      const p = await problemText();
      must(p.includes('使用电子证照需要您本人的授权') && p.includes('[licence_consent]') && p.includes('consent'), 'no licence refusal: ' + p);
      must(!(await page.textContent('#m-materials')).includes(jia.id_number), 'a licence field shown without consent');
      await page.check('#m-lic-consent');
      await page.click('#m-fetch');
      await page.waitForSelector('#m-materials p.filled[data-material="id_document"]', { timeout: 30000 });
      const f = await page.textContent('#m-materials li[data-material="id_document"]');
      must(f.includes('name=' + jia.name) && f.includes('id_number=' + jia.id_number) && f.includes('1.2.156.3005.2.100001'), 'licence fields: ' + f);
      await page.check('#m-commits input.m-commit[data-commit="eid_risk"]');
      must(!/\bnull\b|undefined/.test(await page.textContent('#m-body')), 'null/undefined shown');
      await t.shot(page, 'console-matter');
      const ax = await t.axe(page);
      must(ax.length === 0, 'axe (matter): ' + ax.join(', '));
      await page.click('#lang');
      const en = await page.textContent('#m-body');
      must(en.includes('Source: electronic licence') && en.includes('I understand the risks'), 'not in English: ' + en.slice(0, 200));
      must(await page.isChecked('#m-commits input.m-commit[data-commit="eid_risk"]'), 'tick lost on a language change');
      await page.click('#lang');
    });
    await step('window matter: commitment signed, submitted, accepted (on hold), ownership from shared data, receipt printed alone', async () => {
      await page.click('#m-submit');
      await page.waitForSelector('#m-receipt:not([hidden]) svg.qr', { timeout: 60000 });
      const st = await page.textContent('#m-state');
      must(st.includes(serial) && st.includes('挂起'), 'state: ' + st + ' | ' + await problemText());
      must((await page.textContent('#m-commits')).includes('已电子签名'), 'commitment not signed');
      must((await page.textContent('#m-materials li[data-material="ownership"]')).includes('count=1'), 'shared data not shown');
      await page.emulateMedia({ media: 'print' });
      const printed = await page.evaluate(() => document.body.innerText);
      must(printed.includes('受理凭证') && printed.includes(serial), 'receipt text not printed');
      for (const chrome of ['窗口工作台', '时限看板', '审核队列', '退出登录', '打印', 'English', '办理此事项', '材料清单'])
        must(!printed.includes(chrome), 'console chrome printed: ' + chrome);
      await t.shot(page, 'console-matter-receipt');
      await page.emulateMedia({ media: 'screen' });
      // the server's record: accepted, the licence use names its consent, the commitment kept
      const list = await t.api('GET', '/v1/applications?state=on_hold', await t.staff('clerk'));
      const a = (list.applications || []).find((x) => x.serial === serial);
      must(a, 'application not on the board');
      appId = a.id;
      const ev = await t.api('GET', `/v1/applications/${appId}/evidence`, await t.staff('clerk'));
      must(JSON.stringify(ev).includes('本人知晓采用电子身份证明验证身份的风险'), 'commitment not with the application');
      const au = await t.api('GET', '/v1/audit?action=licence.use', await t.staff('auditor'));
      const uses = (au.records || []).filter((r) => new RegExp('^gov_app:' + appId + ' ').test(String(r.purpose || '')));
      must(uses.length >= 1 && uses.every((r) => /consent:\d+/.test(JSON.stringify(r))), 'licence use not bound to a consent: ' + JSON.stringify(uses).slice(0, 300));
    });
    await step('window matter: 换证 for 示例丁 -- a material to hand in not ticked is refused (zh/en, the list), the licence declined for paper, then submitted and accepted', async () => {
      const ding = t.person('示例丁');
      await page.selectOption('#v-matter', 'bdc.huanzheng');
      await page.fill('#v-number', ding.id_number);
      await page.fill('#v-name', ding.name);
      await page.check('input[name="v-method"][value="clerk_document_check"]');
      await page.click('#v-go');
      await page.waitForSelector('#matter:not([hidden]) #m-open:not([hidden])', { timeout: 30000 });
      must(await page.isHidden('#m-receipt'), 'the last receipt is still open');
      await page.click('#m-open');
      await page.waitForSelector('#m-f-cert_no');
      await page.fill('#m-f-cert_no', '浙(2026)温州市不动产权第0020001号');
      await page.click('#m-create');
      await page.waitForSelector('#m-created');
      await page.check('#m-commits input.m-commit[data-commit="eid_risk"]');
      await page.click('#m-submit');
      await page.waitForSelector('#m-problem:not([hidden])');
      const p = await problemText();
      must(p.includes('还有材料未收到') && p.includes('破损的不动产权证书原件') && p.includes('申请人居民身份证') &&
           p.includes('The damaged original title certificate'), 'no missing-material refusal: ' + p);
      must(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('m-recv')), 'focus not on the missing material');
      for (const c of await page.$$('#m-materials input.m-recv')) await c.check();
      await page.click('#m-submit');
      await page.waitForSelector('#m-receipt:not([hidden]) svg.qr', { timeout: 60000 });
      const st = await page.textContent('#m-state');
      must(/SL[0-9-]+/.test(st) && st.includes('已提交并受理'), 'state: ' + st + ' | ' + await problemText());
      must(!(await page.textContent('#m-materials')).includes(ding.id_number), 'a licence field shown without consent');
    });
  } finally {
    await waitIdle('#lang').catch(() => {});
    await ctx.close();
  }
};
