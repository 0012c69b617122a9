#!/usr/bin/env node
// nn_conformance.js -- our ONNX engine against ONNX Runtime on the nine
// face models, on real inputs (test photos resized with ImageMagick to the
// model's input size, scaled to about [-1, 1]) and on random inputs.
// For each model and input it writes IN.bin, runs `shualian nn run` on each
// backend, runs ORT, and compares every output:
//   max|ours - ort| <= 1e-4 * max|ort|   (and cosine >= 0.99999 for fr_feature)
// Usage: node nn_conformance.js [--bin build/shualian] [--backends ref,xnnpack]
//        [--models fr_eye,fr_age] [--photos 2]
// Ends with "N passed, N failed".
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const ort = require(path.join(root, 'tests', 'node_modules', 'onnxruntime-node'));

const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const bin = path.resolve(root, opt('--bin', 'build/shualian'));
const backends = opt('--backends', 'ref,xnnpack').split(',').filter(Boolean);
const allModels = ['fr_detect', 'fr_landmark', 'fr_feature', 'fr_liveness', 'fr_eye',
                   'fr_pose', 'fr_age', 'fr_gender', 'fr_expression'];
const models = opt('--models', allModels.join(',')).split(',').filter(Boolean);
const nPhotos = parseInt(opt('--photos', '2'), 10);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnconf-'));

let passed = 0, failed = 0;

// Deterministic PRNG (xorshift32) for random inputs.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

function photoInput(photo, shape) {
  const [, c, h, w] = shape;
  const fmt = c === 1 ? 'gray' : 'rgb';
  const raw = execFileSync('convert', [photo, '-resize', `${w}x${h}!`, '-depth', '8', `${fmt}:-`],
                           { maxBuffer: 64 << 20 });
  if (raw.length !== c * h * w) throw new Error(`convert gave ${raw.length} bytes`);
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++)
        out[(k * h + y) * w + x] = (raw[(y * w + x) * c + k] - 127.5) / 128;
  return out;
}

function randomInput(n, seed) {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

function compare(name, ours, ref, isFeature) {
  let maxRef = 0, maxDiff = 0, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    dot += ours[i] * ref[i]; na += ours[i] * ours[i]; nb += ref[i] * ref[i];
    if (Number.isNaN(ours[i]) !== Number.isNaN(ref[i])) maxDiff = Infinity;
  }
  const cos = dot / Math.sqrt(na * nb || 1);
  const tol = 1e-4 * maxRef;
  let ok = ours.length === ref.length && maxDiff <= tol;
  if (isFeature) ok = ok && cos >= 0.99999;
  return { ok, msg: `${name}: max|diff|=${maxDiff.toExponential(3)} tol=${tol.toExponential(3)}` +
                    (isFeature ? ` cos=${cos.toFixed(7)}` : '') };
}

async function main() {
  const photos = fs.readdirSync(path.join(root, 'tests', 'data'))
    .filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, nPhotos)
    .map((f) => path.join(root, 'tests', 'data', f));
  for (const model of models) {
    const file = path.join(root, 'models', `${model}.onnx`);
    if (!fs.existsSync(file)) { console.log(`skip ${model}: no model file`); continue; }
    const sess = await ort.InferenceSession.create(file, {
      intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    const inName = sess.inputNames[0];
    const shape = sess.inputMetadata[0].shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    const inputs = photos.map((p) => ({ tag: path.basename(p, '.jpg'), data: photoInput(p, shape) }));
    inputs.push({ tag: 'random', data: randomInput(n, 1234 + model.length) });
    for (const inp of inputs) {
      const inFile = path.join(tmp, `${model}-${inp.tag}.bin`);
      fs.writeFileSync(inFile, Buffer.from(inp.data.buffer));
      const res = await sess.run({ [inName]: new ort.Tensor('float32', inp.data, shape) });
      for (const be of backends) {
        const outDir = path.join(tmp, `${model}-${inp.tag}-${be}`);
        let err = null;
        try {
          execFileSync(bin, ['nn', 'run', file, '--input', inFile, '--out', outDir, '--backend', be],
                       { stdio: ['ignore', 'ignore', 'pipe'] });
        } catch (e) { err = `shualian failed: ${e.stderr ? e.stderr.toString().trim() : e.message}`; }
        for (const on of sess.outputNames) {
          const label = `${model} ${inp.tag} ${be} ${on}`;
          if (err) { failed++; console.log(`FAIL ${label}: ${err}`); continue; }
          const safe = on.replace(/[^A-Za-z0-9._-]/g, '_');
          const buf = fs.readFileSync(path.join(outDir, `${safe}.bin`));
          const ours = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
          const c = compare(label, ours, res[on].data, model === 'fr_feature');
          if (c.ok) passed++; else failed++;
          console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.msg}`);
        }
      }
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });
