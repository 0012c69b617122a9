// id_bench.js -- identity verification through HTTP, `workers` concurrent
// keep-alive clients for `seconds`; prints one JSON line per mode with
// p50/p99 latency (ms) and sessions/s.
//   node bench/id_bench.js BASE_URL CRED_JSON FRAME.jpg [seconds=10] [workers=2] [PERSONS.csv]
// PERSONS.csv (the import's CSV): the sessions rotate over its rows whose
// photo is FRAME's person (Keanu_Reeves.jpg), so no document reaches the
// per-document lockout; without it they use 示例甲.
// Modes:
//   first_visit   window: an identity code issued on the phone channel
//                 (POST /v1/id-codes, not timed) + POST /v1/window/first-visit
//                 with one 640x480 capture (code check, single use, registry
//                 template, 1:1, signed result) -- timed per visit
//   session       the Contract of issue 11: POST /v1/verifications (window
//                 device, all three levels, liveness "actions": the five
//                 frames of a still photo do not perform the actions, so
//                 the sessions are refused -- the cost is the same)
//                 device) + POST /v1/verifications/{id}/frames with five
//                 640x480 frames -- timed per session; skipped (reported as
//                 absent) while the server has no such route
'use strict';
const http = require('http');
const fs = require('fs');
const [base, credPath, framePath, secs = '10', workers = '2', csvPath] = process.argv.slice(2);
const cred = JSON.parse(fs.readFileSync(credPath, 'utf8'));
const frame = fs.readFileSync(framePath).toString('base64');
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

function pct(a, p) {
  if (!a.length) return null;
  const s = a.slice().sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10;
}

async function run(mode, once) {
  const end = Date.now() + Number(secs) * 1000;
  const lat = [];
  let failed = 0, last = '';
  async function worker() {
    while (Date.now() < end) {
      const r = await once();
      if (r.ok) lat.push(r.ms); else { failed++; last = r.why; }
    }
  }
  const t0 = Date.now();
  await Promise.all(Array.from({ length: Number(workers) }, worker));
  const el = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ mode, workers: Number(workers), seconds: el, sessions: lat.length,
    per_s: Math.round(lat.length / el * 10) / 10, p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99),
    failed, last_failure: failed ? last.slice(0, 200) : undefined }));
}

(async () => {
  const h5 = 'Device ' + cred.devices.h5.id + ':' + cred.devices.h5.key;
  const win = 'Device ' + cred.devices.window.id + ':' + cred.devices.window.key;
  const p = cred.persons.find((x) => x.name === '示例甲');
  await run('first_visit', async () => {
    const c = await req('POST', '/v1/id-codes', h5, { person: String(p.person_id) });
    if (c.status !== 201) return { ok: false, why: c.body };
    const code = JSON.parse(c.body).code;
    const t = process.hrtime.bigint();
    const r = await req('POST', '/v1/window/first-visit', win, { capture: frame, id_code: code });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    return r.status === 200 && JSON.parse(r.body).passed ? { ok: true, ms } : { ok: false, why: r.body };
  });
  const api = JSON.parse((await req('GET', '/v1/openapi.json', '')).body);
  if (!api.paths || !api.paths['/v1/verifications']) {
    console.log(JSON.stringify({ mode: 'session', absent: 'POST /v1/verifications is not in this server (branch w3-idverif)' }));
    return;
  }
  let seq = 0;
  let pool = [{ id_number: p.id_number, name: p.name }];
  if (csvPath) {
    const rows = fs.readFileSync(csvPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const mine = rows.filter((r) => r[3] === 'Keanu_Reeves.jpg').map((r) => ({ id_number: r[1], name: r[2] }));
    if (mine.length) pool = mine;
  }
  let passed = 0;
  await run('session', async () => {
    const who = pool[seq % pool.length];
    const t = process.hrtime.bigint();
    const v = await req('POST', '/v1/verifications', win, { id_type: 'resident_id',
      id_number: who.id_number, name: who.name, levels: ['real_name', 'real_person', 'real_document'],
      liveness: 'actions', matter: 'bench', reference: 'b' + (seq++),
      consent: { face_processing: true } });
    if (v.status !== 201) return { ok: false, why: v.body };
    const id = JSON.parse(v.body).id;
    const frames = [0, 200, 400, 600, 800].map((t_ms) => ({ t_ms, image: frame }));
    const r = await req('POST', '/v1/verifications/' + id + '/frames', win, { frames });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status === 200 && JSON.parse(r.body).passed) passed++;
    return r.status === 200 ? { ok: true, ms } : { ok: false, why: r.body };
  });
  console.log(JSON.stringify({ mode: 'session', passed_sessions: passed }));
})().catch((e) => { console.error(e); process.exit(1); });
