// 20-phone-002.cjs -- seed 002 on the citizen's phone (web/h5/pending.js,
// licences.js): three parties' pending items and signatures end to end,
// each party in their own browser context whose fake camera shows that
// person's photo (persons.json photo_identity, the second photo: a live
// capture; the registry holds the first).
//
// The fake camera is a still photo: it cannot blink, turn or nod, so the
// phone's "actions" liveness refuses it (the 示例丑 step shows that refusal
// with its zh/en reasons on the page). Where a step needs a PASSED face
// check, the test lets the demo's window device vouch for the person
// instead (clerk-vouched, liveness "none", levels 实名+实人): Playwright
// rewrites the page's own POST /v1/verifications (device credential,
// liveness, levels) and nothing else -- the page then goes on exactly as
// after a live pass: the verification is bound by the server to the
// filing (matter = its kind, reference = sub_<id>), consumed by the
// confirm, and signed.
'use strict';

module.exports = async function (t) {
  const { base, creds, step, must, skip, api, dev } = t;
  const P = (n) => t.person(n);
  const wu = P('示例戊'), ji = P('示例己'), chou = P('示例丑'), jia = P('示例甲'), yi = P('示例乙');
  const bank = (name) => { const b = (creds.bank_cards || []).find((x) => x.name === name); return b ? { card: b.card, phone: b.phone } : null; };
  const who = (p, role) => ({ role, id_type: p.id_type, id_number: p.id_number, name: p.name });
  const h5frag = '#device=' + creds.devices.h5.id + ':' + creds.devices.h5.key;
  let n = 0;
  // a citizen session for the API side (the filer opening the filing)
  async function citizen(p) {
    const v = await api('POST', '/v1/verifications', dev('window'), { id_type: p.id_type, id_number: p.id_number, name: p.name,
      levels: ['real_name', 'real_person'], liveness: 'none', matter: 'citizen_login', reference: 'flow20-' + (++n),
      consent: { face_processing: true } });
    const s = await api('POST', '/v1/citizen/sessions', dev('h5'), { verification: v.id });
    return 'Bearer ' + s.token;
  }
  const vouch = t.vouch;   // the window device vouches in place of the phone's challenge (see the header)
  const camFor = (p) => {
    const ph = t.photos(p.photo_identity);
    return t.y4m(ph[1] || ph[0] || t.refJpg, 'flow20-' + p.photo_identity);
  };
  async function phone(p) {
    const ctx = await t.launch(camFor(p));
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(base + '/web/h5/index.html' + h5frag);
    return { ctx, page };
  }
  async function login(page, p) {
    await vouch(page, true);
    await page.click('#nav-mine');
    await page.selectOption('#m-idtype', p.id_type);
    await page.fill('#m-number', p.id_number);
    await page.fill('#m-name', p.name);
    await page.check('#m-consent');
    await page.click('#m-login-go');
    await page.waitForSelector('#m-who', { timeout: 30000 });
    await page.waitForSelector('#m-pending');
  }
  async function openItem(page, type, id) {
    await page.click(`#m-items li[data-type="${type}"][data-id="${id}"] button`);
    await page.waitForSelector(`#m-item[data-id="${id}"]`);
  }
  async function confirm(page, card) {
    if (card) { await page.fill('#m-card', card.card); await page.fill('#m-phone', card.phone); }
    await page.check('#m-sign-consent');
    await page.click('#m-confirm');
    await page.waitForSelector('#m-sig, #m-problem:not([hidden]), #m-verdict', { timeout: 90000 });
  }
  const partyState = (page, seq) => page.getAttribute(`#m-parties tr[data-seq="${seq}"]`, 'data-state');

  // the filing: 示例戊 (legal representative) files for himself, 示例己 and 示例丑
  let sub = null;
  await step('seed 002 phone: 示例戊 opens a company filing naming three parties (API, citizen session)', async () => {
    sub = await api('POST', '/v1/submissions', await citizen(wu), { kind: 'company_registration', title: '示例贸易（杭州）有限公司 设立登记',
      document: { company: '示例贸易（杭州）有限公司', address: '杭州市西湖区示例路8号', capital_wan: 50, business_scope: '日用品销售' },
      parties: [who(wu, 'legal_representative'), who(ji, 'shareholder'), who(chou, 'shareholder')] });
    must(sub.id && sub.state === 'open', 'filing not open: ' + JSON.stringify(sub).slice(0, 200));
  });
  if (!sub) return;

  let c = await phone(ji);
  await step('seed 002 phone: 示例己 logs in with her face, 待办 lists the filing with its deadline; confirm without the bank card refused (zh/en), with it signed', async () => {
    const { page } = c;
    await login(page, ji);
    const li = await page.textContent(`#m-items li[data-id="${sub.id}"]`);
    must(li.includes('示例贸易') && li.includes('股东') && /剩余 7 天/.test(li), 'pending item: ' + li);
    await t.shot(page, 'h5-pending');
    await page.click('#elderly');
    must(await page.evaluate(() => document.body.classList.contains('elderly')), 'elderly mode not on');
    await t.shot(page, 'h5-pending-elderly');
    await page.click('#elderly');
    const ax = await t.axe(page);
    must(ax.length === 0, 'axe (pending): ' + ax.join(', '));
    await openItem(page, 'submission', sub.id);
    const rows = await page.$$eval('#m-parties tbody tr', (r) => r.length);
    must(rows === 3, 'parties shown: ' + rows);
    must((await page.textContent('#m-parties')).includes('本人'), 'her own row not marked');
    must((await page.textContent('#m-signed pre')).includes('sub_' + sub.id), 'signed document not shown');
    must((await page.textContent('.form')).includes('示例贸易（杭州）有限公司'), 'materials not shown');
    await confirm(page, null);   // no bank card: the server's sub_bank_factor
    const p1 = await page.textContent('#m-problem');
    must(p1.includes('sub_bank_factor') && /银行卡/.test(p1) && /bank card/.test(p1), 'bank refusal: ' + p1);
    await confirm(page, bank('示例己'));
    await page.waitForSelector('#m-sig', { timeout: 30000 });
    must(await partyState(page, 2) === 'signed', 'her row not signed');
    const sig = await page.textContent('#m-sig');
    must(/@[0-9a-f]{40}/.test(sig) && sig.includes(sub.doc_hash || ''), 'signature record: ' + sig);
    await t.shot(page, 'h5-sign');
    const s = await api('GET', `/v1/submissions/${sub.id}`, await t.staff('clerk'));
    must(s.parties[1].state === 'signed' && s.parties[1].signature, 'server: not signed');
  });
  await c.ctx.close();

  c = await phone(chou);
  await step('seed 002 phone: 示例丑 (HK permit, no bank factor): the still-photo camera is refused with zh/en reasons; then signed', async () => {
    const { page } = c;
    await login(page, chou);
    await openItem(page, 'submission', sub.id);
    must(!(await page.$('#m-card')), 'bank card asked of a permit holder');
    if (t.facesDir) {
      await vouch(page, false);   // the phone's own challenge, the real camera frames
      await confirm(page, null);
      if (await page.$('#m-verdict')) {
        const v = await page.textContent('#m-verdict');
        must(/\[[a-z_]+\]/.test(v) && /[\u4e00-\u9fff]/.test(v) && /[a-z]{4} /.test(v), 'verdict without zh/en reasons: ' + v);
        await t.shot(page, 'h5-sign-refused');
        must(await partyState(page, 3) === 'pending', 'signed after a refused face check');
      }
      await vouch(page, true);
    } else skip('seed 002 phone: 示例丑 real-camera refusal', 'no ../shared/faces');
    if (await partyState(page, 3) === 'pending') await confirm(page, null);
    await page.waitForSelector('#m-sig', { timeout: 30000 });
    must(await partyState(page, 3) === 'signed', 'not signed');
    must(!(await page.$('#m-submit')), 'submit offered before the legal representative signed');
  });
  await c.ctx.close();

  c = await phone(wu);
  await step('seed 002 phone: 示例戊 signs last, submits; the filing shows as submitted (and in English)', async () => {
    const { page } = c;
    await login(page, wu);
    await openItem(page, 'submission', sub.id);
    await confirm(page, bank('示例戊'));
    await page.waitForSelector('#m-submit', { timeout: 30000 });
    await page.click('#m-submit');
    await page.waitForSelector('#m-state[data-state="submitted"]', { timeout: 30000 });
    must((await page.textContent('#m-submitted')).includes('已提交'), 'not shown as submitted');
    await page.click('#lang');
    must((await page.textContent('#m-submitted')).includes('submitted'), 'English: ' + await page.textContent('#m-submitted'));
    must((await page.textContent('#m-parties')).includes('Signed'), 'party states not in English');
    await page.click('#lang');
    const s = await api('GET', `/v1/submissions/${sub.id}`, await t.staff('clerk'));
    must(s.state === 'submitted' && s.parties.every((x) => x.state === 'signed'), 'server state ' + s.state);
  });
  await step('我的证照: 示例戊 sees his licences (营业执照 among them) and a licence\'s use records', async () => {
    const { page } = c;
    await page.click('#m-tab-licences');
    await page.waitForSelector('#m-licences');
    const kinds = await page.$$eval('#m-licences li.licence', (l) => l.map((x) => x.dataset.kind));
    must(kinds.includes('business_licence') && kinds.includes('resident_id'), 'licences: ' + kinds.join(','));
    await page.click('#m-licences li[data-kind="business_licence"] .l-uses-show');
    await page.waitForSelector('#m-licences li[data-kind="business_licence"] .l-uses, #m-licences li[data-kind="business_licence"] .l-uses-none');
    await t.shot(page, 'h5-licences-list');
    const ax = await t.axe(page);
    must(ax.length === 0, 'axe (licences): ' + ax.join(', '));
  });
  await c.ctx.close();

  // a refusal with a reason; the filer is told
  let sub2 = null;
  c = await phone(ji);
  await step('seed 002 phone: 示例己 refuses another filing -- a reason is required; the filer sees the refusal in 待办', async () => {
    sub2 = await api('POST', '/v1/submissions', await citizen(wu), { kind: 'company_registration', title: '示例咨询（杭州）有限公司 设立登记',
      document: { company: '示例咨询（杭州）有限公司' }, parties: [who(wu, 'legal_representative'), who(ji, 'shareholder')] });
    const { page } = c;
    // this time the government app hands its citizen session over (#citizen=TOKEN, as scan.js reads it): no face login
    const tok = (await citizen(ji)).slice('Bearer '.length);
    await page.goto('about:blank');
    await page.goto(base + '/web/h5/index.html' + h5frag + '&citizen=' + tok);
    await page.click('#nav-mine');
    await page.waitForSelector('#m-pending', { timeout: 30000 });
    must((await page.textContent('#m-who')).includes('1025'), 'handed-over session not shown');
    await openItem(page, 'submission', sub2.id);
    must(await page.$('#m-vnumber'), 'no document fields for the face check of a handed-over session');
    await page.click('#m-refuse');
    must((await page.textContent('#m-problem')).includes('拒绝理由'), 'empty reason accepted');
    await page.fill('#m-reason', '我未参与该公司设立');
    await page.click('#m-refuse');
    await page.waitForSelector('#m-parties tr[data-seq="2"][data-state="refused"]', { timeout: 30000 });
    must((await page.textContent('#m-done')).includes('我未参与该公司设立'), 'refusal not shown');
    const s = await api('GET', `/v1/submissions/${sub2.id}`, await t.staff('clerk'));
    must((s.events || []).some((e) => e.kind === 'party_refused'), 'server: no party_refused event');
    const mine = await api('GET', '/v1/me/pending', await citizen(wu));
    must((mine.notices || []).some((x) => x.submission === sub2.id && x.detail.reason === '我未参与该公司设立'), 'filer not told');
  });
  await c.ctx.close();

  // the third-party agreement: 示例甲 (householder) agrees to 示例乙 moving in
  c = await phone(jia);
  await step('seed 002/004 phone: third-party agreement -- 示例甲 confirms with his face, the signature shown', async () => {
    const d = await api('POST', '/v1/delegations', await t.staff('clerk'), { kind: 'agreement', matter: 'hj.goufang_qianru',
      note: '同意示例乙迁入本户', third_party: who(jia), applicant: who(yi) });
    const { page } = c;
    await login(page, jia);
    await openItem(page, 'agreement', d.id);
    must((await page.textContent('#m-item')).includes('第三方'), 'agreement screen: ' + (await page.textContent('#m-item')).slice(0, 200));
    await confirm(page, null);
    await page.waitForSelector('#m-state[data-state="confirmed"]', { timeout: 30000 });
    must(await page.$('#m-sig'), 'no signature record');
    const r = await api('GET', `/v1/delegations/${d.id}`, await t.staff('clerk'));
    must(r.state === 'confirmed' && r.signature, 'server: ' + r.state);
    await t.shot(page, 'h5-agreement');
  });
  await step('我的证照: a 房查证明 read 示例甲\'s marriage licence -- the use record (when, matter, fields, consent, by whom) is on his phone', async () => {
    const clerk = await t.staff('clerk');
    const v = await api('POST', '/v1/verifications', clerk, { id_type: jia.id_type, id_number: jia.id_number, name: jia.name,
      levels: ['real_name', 'real_person', 'real_document'], method: 'alternative', matter: 'bdc.fangcha_zhengming', reference: 'flow20' });
    await api('POST', `/v1/verifications/${v.id}/alternative`, clerk, { method: 'clerk_document_check', document: '居民身份证原件' });
    await api('POST', '/v1/property-certificates', clerk, { verification: v.id });
    const { page } = c;
    await page.click('#m-tab-licences');
    await page.click('#m-licences li[data-kind="marriage_certificate"] .l-uses-show');
    await page.waitForSelector('#m-licences li[data-kind="marriage_certificate"] table.l-uses');
    const u = await page.textContent('#m-licences li[data-kind="marriage_certificate"] table.l-uses');
    must(u.includes('bdc.fangcha_zhengming') && u.includes('spouse_name') && u.includes('demo-clerk'), 'use record: ' + u);
    await t.shot(page, 'h5-licences');
  });
  await c.ctx.close();

  // 谁委托: 示例癸 asks 示例壬 on her phone to delegate a matter to her; he confirms on his
  const ren = P('示例壬'), gui = P('示例癸');
  let dlg = null;
  c = await phone(gui);
  await step('delegation: 示例癸 asks 示例壬 for a delegation on her phone; it waits in his 待办', async () => {
    const { page } = c;
    await login(page, gui);
    await page.selectOption('#r-kind', 'delegation');
    await page.selectOption('#r-idtype', ren.id_type);
    await page.fill('#r-number', ren.id_number);
    await page.fill('#r-name', ren.name);
    await page.fill('#r-note', '委托示例癸代办');
    await page.click('#r-go');
    await page.waitForSelector('#r-sent li[data-state="pending"]', { timeout: 30000 });
    dlg = Number(await page.getAttribute('#r-sent li', 'data-id'));
    const p = await api('GET', '/v1/me/pending', await citizen(ren));
    must((p.items || []).some((x) => x.id === dlg && x.role === 'principal'), 'not in the principal\'s 待办');
  });
  await c.ctx.close();
  c = await phone(ren);
  await step('delegation: 示例壬 confirms it with his face; the signed delegation is shown', async () => {
    must(dlg, 'no delegation');
    const { page } = c;
    await login(page, ren);
    await openItem(page, 'delegation', dlg);
    must((await page.textContent('#m-item')).includes('委托'), 'delegation screen');
    await confirm(page, null);
    await page.waitForSelector('#m-state[data-state="confirmed"]', { timeout: 30000 });
    must(await page.$('#m-sig'), 'no signature record');
  });
  await c.ctx.close();

  // proxy (seed 003): 示例辛 applies for his father 示例庚; the elder's face on the son's phone
  const xin = P('示例辛'), geng = P('示例庚');
  c = await phone(geng);   // the camera sees the elder, who holds the son's phone
  await step('proxy on the phone: 示例辛 applies for 示例庚 (高龄津贴, relation child); the elder\'s face check on the phone; the application shows in his list', async () => {
    const { page } = c;
    await login(page, xin);
    await page.click('#m-tab-proxy');
    await page.waitForSelector('#p-form');
    must(await page.$('#p-matter option[value="mz.gaoling_jintie"]'), 'no 高龄津贴 among the proxy matters');
    await page.selectOption('#p-matter', 'mz.gaoling_jintie');
    await page.fill('#p-number', geng.id_number);
    await page.fill('#p-name', geng.name);
    await page.selectOption('#p-relation', 'child');
    await page.fill('#p-f-bank_account', '6222020000001234');
    for (const cb of await page.$$('#p-form [data-commit]')) await cb.check();
    await page.click('#p-go');
    await page.waitForSelector('#p-app[data-state="awaiting_auth"]', { timeout: 30000 });
    const appId = await page.getAttribute('#p-app', 'data-app');
    const a = await api('GET', `/v1/applications/${appId}`, await t.staff('clerk'));
    must(a.proxy && a.proxy.relation === 'child' && a.id_masked.endsWith('101X'), 'proxy not recorded: ' + JSON.stringify(a.proxy));
    await vouch(page, false);   // the elder's face: the phone's own check (passive), real frames
    await page.check('#p-elder-consent');
    await page.click('#p-face');
    await page.waitForSelector('#m-verdict, #p-app:not([data-state="awaiting_auth"]), #m-problem:not([hidden])', { timeout: 60000 });
    if (await page.$('#m-verdict')) {
      const v = await page.textContent('#m-verdict');
      must(/\[[a-z_]+\]/.test(v) && /[\u4e00-\u9fff]/.test(v), 'verdict without reasons: ' + v);
      await t.shot(page, 'h5-proxy-refused');
      // the non-face way at a window for the elder, then the son's session submits
      const v2 = await api('POST', '/v1/verifications', await t.staff('clerk'), { id_type: geng.id_type, id_number: geng.id_number, name: geng.name,
        levels: ['real_name', 'real_person', 'real_document'], method: 'alternative', matter: 'mz.gaoling_jintie', reference: String(appId) });
      await api('POST', `/v1/verifications/${v2.id}/alternative`, await t.staff('clerk'), { method: 'clerk_document_check', document: '居民身份证原件' });
      await api('POST', `/v1/applications/${appId}/submit`, await citizen(xin), { verifications: [String(v2.id)], commitments: ['truthful'] })
        .catch(async (e) => { throw new Error('window submit: ' + e.message); });
    }
    await page.click('#m-tab-proxy');
    await page.waitForSelector(`#p-apps tr[data-app="${appId}"]`);
    const st = await page.getAttribute(`#p-apps tr[data-app="${appId}"]`, 'data-state');
    must(st && st !== 'draft' && st !== 'awaiting_auth', 'state in the list: ' + st);
    must((await page.textContent(`#p-apps tr[data-app="${appId}"]`)).includes('代办'), 'not marked as proxy');
    await t.shot(page, 'h5-proxy');
  });
  await c.ctx.close();
};
