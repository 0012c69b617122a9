// gov_bench.js -- applications created and auto-approved per second over
// HTTP: each application is create + request_auth + submit (a shared-data
// fetch and the rules) + accept (dates on the calendar, auto-approval):
// four requests, four store transactions with their audit records.
// `workers` concurrent keep-alive clients. Prints one JSON line.
//   node bench/gov_bench.js BASE_URL CRED_JSON [seconds=10] [workers=2]
'use strict';
const http = require('http');
const fs = require('fs');
const [base, credPath, secs = '10', workers = '2'] = process.argv.slice(2);
const cred = JSON.parse(fs.readFileSync(credPath, 'utf8'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const u = new URL(base);

function req(method, path, auth, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const r = http.request({ host: u.hostname, port: u.port, method, path, agent,
      headers: Object.assign({ Authorization: auth },
        data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) },
      (res) => { const c = []; res.on('data', (d) => c.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(c).toString() })); });
    r.on('error', reject);
    if (data) r.write(data);
    r.end();
  });
}

(async () => {
  const login = JSON.parse((await req('POST', '/v1/auth/login', '',
    { username: cred.users.clerk.username, password: cred.users.clerk.password })).body);
  const clerk = 'Bearer ' + login.token;
  const dev = 'Device ' + cred.devices.window.id + ':' + cred.devices.window.key;
  const end = Date.now() + Number(secs) * 1000;
  let done = 0, failed = 0, seq = 0;
  async function worker(w) {
    while (Date.now() < end) {
      const r1 = await req('POST', '/v1/applications', dev, { matter: 'hj.goufang_qianru',
        id_number: '330302198805126615', channel: 'window', form: { reason: 'bench' } });
      if (r1.status !== 201) { failed++; continue; }
      const id = JSON.parse(r1.body).id;
      await req('POST', `/v1/applications/${id}/request_auth`, dev, {});
      await req('POST', `/v1/applications/${id}/submit`, dev, { verifications: [`bench-${process.pid}-${w}-${seq++}`], commitments: ['truthful'] });
      const r4 = await req('POST', `/v1/applications/${id}/accept`, clerk, {});
      if (r4.status === 200 && JSON.parse(r4.body).state === 'approved') done++; else failed++;
    }
  }
  const t0 = Date.now();
  await Promise.all([...Array(Number(workers)).keys()].map(worker));
  const s = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ approved: done, failed, seconds: s, workers: Number(workers),
    apps_per_s: +(done / s).toFixed(1), requests_per_s: +((done * 4) / s).toFixed(1) }));
  agent.destroy();
})().catch((e) => { console.error(e); process.exit(1); });
