#!/usr/bin/env node
// writer.js -- a stream of acknowledged writes for the durability and
// backup suites (83-durability.sh, 84-backup.sh). Usage:
//   node writer.js HOST PORT AUTH PREFIX ACKFILE [CONCURRENCY=4] [MAX=0] [persist]
// CONCURRENCY loops each POST /v1/halls {"name": PREFIX-<loop>-<n>} (a store
// write and its audit record in one transaction) back to back on a
// keep-alive connection; a 201 appends the name to ACKFILE synchronously
// before the next request, so ACKFILE holds exactly the acknowledged writes.
// Runs until the server goes away (or MAX writes per loop), then exits 0;
// with "persist" it outlives the server: a refused connection is retried
// every 5 ms (the durability suite restarts the server on the same port
// under it) until SIGTERM.
'use strict';
const http = require('http');
const fs = require('fs');
const [host, port, auth, prefix, ackfile, conc = '4', max = '0', mode = ''] = process.argv.slice(2);
const persist = mode === 'persist';
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conc) });
const fd = fs.openSync(ackfile, 'a');
let acked = 0, refused = 0;

function post(name) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ name });
    const req = http.request({ host, port: Number(port), method: 'POST', path: '/v1/halls', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
                 Authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(10000, () => req.destroy());
    req.end(body);
  });
}

async function loop(k) {
  for (let n = 0; !stopping && (Number(max) === 0 || n < Number(max)); n++) {
    const name = `${prefix}-${k}-${n}`;
    const st = await post(name);
    if (st === 201) { fs.writeSync(fd, name + '\n'); acked++; }
    else if (st === 0 && !persist) return;   // the server went away
    else if (st === 0) await new Promise((r) => setTimeout(r, 5));
    else { refused++; await new Promise((r) => setTimeout(r, 5)); }
  }
}

Promise.all(Array.from({ length: Number(conc) }, (_, k) => loop(k))).then(() => {
  fs.closeSync(fd);
  process.stdout.write(JSON.stringify({ acked, refused }) + '\n');
  process.exit(0);
});
