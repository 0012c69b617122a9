// client.js -- socket-level checks for tests/suites/85-serve.sh that curl
// cannot make. Prints one JSON line.
//   node client.js idle HOST PORT N           N idle connections, then GET /healthz
//   node client.js slowloris HOST PORT        partial headers; when does the server close?
//   node client.js declared HOST PORT PATH LEN [AUTH]
//                                             POST declaring LEN bytes, send 10; status?
'use strict';
const net = require('net');

const [cmd, host, portS, ...rest] = process.argv.slice(2);
const port = Number(portS);
const out = (o) => { process.stdout.write(JSON.stringify(o) + '\n'); };

function request(raw, timeoutMs) {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    let buf = '';
    const t = setTimeout(() => { s.destroy(); resolve({ status: 0, body: buf, timeout: true }); }, timeoutMs);
    s.on('connect', () => s.write(raw));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d+)/.exec(buf);
      const end = buf.indexOf('\r\n\r\n');
      const cl = /content-length: *(\d+)/i.exec(buf);
      if (m && end >= 0 && cl && buf.length >= end + 4 + Number(cl[1])) {
        clearTimeout(t); s.destroy(); resolve({ status: Number(m[1]), body: buf.slice(end + 4) });
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      const m = /^HTTP\/1\.1 (\d+)/.exec(buf);
      const end = buf.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : 0, body: end >= 0 ? buf.slice(end + 4) : '' });
    });
  });
}

async function idle(n) {
  const socks = [];
  let opened = 0, failed = 0;
  await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.connect(port, host);
    s.on('connect', () => { opened++; resolve(); });
    s.on('error', () => { failed++; resolve(); });
    socks.push(s);
  })));
  const t0 = Date.now();
  const r = await request(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 5000);
  out({ opened, failed, healthz: r.status, ms: Date.now() - t0 });
  for (const s of socks) s.destroy();
}

function slowloris() {
  const s = net.connect(port, host);
  const t0 = Date.now();
  let timer;
  s.on('connect', () => {
    s.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n`);
    // one header byte now and then, never the blank line
    timer = setInterval(() => { if (!s.destroyed) s.write('X'); }, 700);
  });
  s.on('error', () => {});
  s.on('close', () => { clearInterval(timer); out({ closed_after_ms: Date.now() - t0 }); process.exit(0); });
  setTimeout(() => { out({ closed_after_ms: -1 }); process.exit(0); }, 15000);
}

async function declared(path, len, auth) {
  const hdr = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
              (auth ? `Authorization: ${auth}\r\n` : '') + `Content-Length: ${len}\r\n\r\n{"image":"`;
  const t0 = Date.now();
  const r = await request(hdr, 5000);
  let code = null;
  try { code = JSON.parse(r.body).code; } catch (e) { /* not JSON */ }
  out({ status: r.status, code, ms: Date.now() - t0 });
}

(async () => {
  if (cmd === 'idle') await idle(Number(rest[0]));
  else if (cmd === 'slowloris') slowloris();
  else if (cmd === 'declared') await declared(rest[0], rest[1], rest[2]);
  else { process.stderr.write('unknown command\n'); process.exit(2); }
})();
