#!/usr/bin/env node
// nn_bench.js -- `make bench-nn`: our engine (ref, xnnpack) against
// onnxruntime-node in the same run, on the nine face models.
//
// For each model: a real input (tests/data/sample1.jpg resized with
// ImageMagick to the model's input, scaled to about [-1, 1]); threads 1
// and 2; >= 50 timed runs after warm-up (ref: fewer, single-threaded);
// median and p90. Ours is timed inside `shualian nn run --repeat N`
// (the C loop around sl_nn_session_run); ORT inside this process around
// `await session.run()`. Rounds alternate ours/ORT and are repeated
// (--rounds, default 2); the table keeps each side's best median.
// ORT: intra_op_num_threads = N, inter_op 1, sequential, spinning off
// (session.intra_op.allow_spinning = 0, same for inter_op).
// Also: the FMA ceiling per core (`shualian-dev nn fma`), our GFLOP/s, and the
// peak RSS of one process holding all nine sessions (ours vs ORT).
// Writes the markdown table to stdout and, with --write, into
// docs/BENCHMARKS.md section "nn".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const ortPath = path.join(root, 'tests', 'node_modules', 'onnxruntime-node');
const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(n); return i >= 0 && i + 1 < args.length ? args[i + 1] : d; };
const bin = path.resolve(root, opt('--bin', 'build/shualian'));
const dev = path.resolve(root, opt('--dev', 'build/shualian-dev'));   // nn fma, nn hold
const runs = parseInt(opt('--runs', '50'), 10);
const rounds = parseInt(opt('--rounds', '2'), 10);
const threadList = opt('--threads', '1,2').split(',').map(Number);
const models = opt('--models', 'fr_detect,fr_landmark,fr_feature,fr_liveness,fr_eye,fr_pose,fr_age,fr_gender,fr_expression').split(',');
const doWrite = args.includes('--write');
const noRef = args.includes('--no-ref');

function holdOrt(files) {
  // child process: nine ORT sessions, one run each, peak RSS
  const script = `
    const fs = require('fs');
    // VmHWM: resourceUsage().maxRSS keeps the parent's peak across exec
    const hwm = () => parseInt(fs.readFileSync('/proc/self/status', 'utf8').split(String.fromCharCode(10))
      .find((l) => l.startsWith('VmHWM:')).replace(/[^0-9]/g, ''), 10);
    const pre = hwm();
    const ort = require(${JSON.stringify(ortPath)});
    (async () => {
      const base = hwm();
      const ss = [];
      for (const f of ${JSON.stringify(files)}) {
        const s = await ort.InferenceSession.create(f, { intraOpNumThreads: 1, interOpNumThreads: 1,
          logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } });
        const md = s.inputMetadata[0];
        const shape = md.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
        const n = shape.reduce((a, b) => a * b, 1);
        await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n), shape) });
        ss.push(s);
      }
      console.log(JSON.stringify({ node_rss_kb: pre, start_rss_kb: base, peak_rss_kb: hwm() }));
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script]).toString());
}

function photoInput(shape) {
  const [, c, h, w] = shape;
  const raw = execFileSync('convert', [path.join(root, 'tests/data/sample1.jpg'), '-resize', `${w}x${h}!`,
                                       '-depth', '8', `${c === 1 ? 'gray' : 'rgb'}:-`], { maxBuffer: 64 << 20 });
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = (raw[(y * w + x) * c + k] - 127.5) / 128;
  return out;
}

function stats(ts) {
  const s = [...ts].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: med, p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] };
}

function ours(file, input, backend, threads, n) {
  const r = execFileSync(bin, ['nn', 'run', file, '--input', input, '--backend', backend,
                               '--threads', String(threads), '--repeat', String(n)],
                         { stdio: ['ignore', 'pipe', 'pipe'] });
  const j = JSON.parse(r.toString());
  return { median: j.median_ms, p90: j.p90_ms, allocs: j.allocs_per_run };
}

async function ortTime(ort, file, data, shape, threads, n) {
  const s = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < 5; i++) await s.run(feeds);
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await s.release();
  return stats(ts);
}

async function main() {
  const ort = require(ortPath);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnbench-'));
  const fma = JSON.parse(execFileSync(dev, ['nn', 'fma', '--seconds', '1']).toString());
  const rows = [];
  for (const model of models) {
    const file = path.join(root, 'models', `${model}.onnx`);
    const info = JSON.parse(execFileSync(bin, ['nn', 'info', file]).toString());
    const shape = info.inputs[0].shape;
    const data = photoInput(shape);
    const inFile = path.join(tmp, `${model}.bin`);
    fs.writeFileSync(inFile, Buffer.from(data.buffer));
    const heavy = info.macs > 1e9;
    for (const t of threadList) {
      let best = { xnn: null, ort: null, ref: null };
      for (let r = 0; r < rounds; r++) {
        const x = ours(file, inFile, 'xnnpack', t, runs);
        const o = await ortTime(ort, file, data, shape, t, runs);
        if (!best.xnn || x.median < best.xnn.median) best.xnn = x;
        if (!best.ort || o.median < best.ort.median) best.ort = o;
      }
      if (t === 1 && !noRef) best.ref = ours(file, inFile, 'ref', 1, heavy ? 3 : 10);
      const gflops = (2 * info.macs) / (best.xnn.median * 1e6);
      rows.push({ model, t, macs: info.macs, ...best, gflops });
      const line = `${model} t=${t}: xnnpack ${best.xnn.median.toFixed(3)} ms (p90 ${best.xnn.p90.toFixed(3)}), ` +
        `ort ${best.ort.median.toFixed(3)} ms (p90 ${best.ort.p90.toFixed(3)}), ratio ${(best.xnn.median / best.ort.median).toFixed(2)}, ` +
        `${gflops.toFixed(1)} GFLOP/s, allocs/run ${best.xnn.allocs}` + (best.ref ? `, ref ${best.ref.median.toFixed(2)} ms` : '');
      console.error(line);
    }
  }
  const files = models.map((m) => path.join(root, 'models', `${m}.onnx`));
  const memOurs = JSON.parse(execFileSync(dev, ['nn', 'hold', '--backend', 'xnnpack', ...files]).toString());
  const memOrt = holdOrt(files);
  fs.rmSync(tmp, { recursive: true, force: true });

  const cpu = os.cpus()[0].model;
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' / ');
  let md = `## nn\n\n`;
  md += `Measured ${new Date().toISOString()} on ${cpu} (${os.cpus().length} cores, shared with other jobs; load average at the end ${load}), ` +
        `by \`make bench-nn\` (bench/nn_bench.js). Batch 1, real input (tests/data/sample1.jpg resized), ` +
        `${runs} timed runs after warm-up, best median of ${rounds} alternating rounds; ORT ` +
        `onnxruntime-node with intra_op_num_threads = N, inter_op 1, spinning disabled. ` +
        `FMA ceiling per core: ${fma.fma_gflops_avx2} GFLOP/s AVX2, ${fma.fma_gflops_avx512 || '-'} GFLOP/s AVX-512.\n\n`;
  md += `| model | threads | MMAC | ref ms | xnnpack ms (p90) | ORT ms (p90) | ours/ORT | GFLOP/s | allocs/run |\n`;
  md += `|---|---|---|---|---|---|---|---|---|\n`;
  for (const r of rows)
    md += `| ${r.model} | ${r.t} | ${(r.macs / 1e6).toFixed(1)} | ${r.ref ? r.ref.median.toFixed(2) : ''} | ` +
          `${r.xnn.median.toFixed(3)} (${r.xnn.p90.toFixed(3)}) | ${r.ort.median.toFixed(3)} (${r.ort.p90.toFixed(3)}) | ` +
          `${(r.xnn.median / r.ort.median).toFixed(2)} | ${r.gflops.toFixed(1)} | ${r.xnn.allocs} |\n`;
  md += `\nPeak RSS of one process holding all nine sessions (one run each): ours (xnnpack) ` +
        `${(memOurs.peak_rss_kb / 1024).toFixed(1)} MiB; ORT ${(memOrt.peak_rss_kb / 1024).toFixed(1)} MiB ` +
        `(node alone ${(memOrt.node_rss_kb / 1024).toFixed(1)} MiB, node + onnxruntime loaded ` +
        `${(memOrt.start_rss_kb / 1024).toFixed(1)} MiB before any session). Peak = VmHWM.\n`;
  process.stdout.write(md);
  if (doWrite) {
    const p = path.join(root, 'docs', 'BENCHMARKS.md');
    let doc = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '# Benchmarks\n\n';
    const re = /## nn\n[\s\S]*?(?=\n## |$)/;
    doc = re.test(doc) ? doc.replace(re, md) : doc.replace(/\n*$/, '\n\n') + md;
    fs.writeFileSync(p, doc);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
