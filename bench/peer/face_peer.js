#!/usr/bin/env node
// bench/peer/face_peer.js -- the peer for `make bench-face`: the npm
// package's face pipeline (faceplugin-face-recognition-js) re-implemented on
// onnxruntime-node, single thread, from the SAME decoded pixels as our engine
// (raw dumps written by `shualian-dev face bench --dump DIR`: u32 width, u32
// height, RGB rows).
//
// Stages timed together, per image (largest face), as the anchor describes
// the package (shared/anchors/ort-pipeline.md):
//   detect: bilinear resize to 320x240 (aspect not kept), planes B,G,R
//           (v-127)/128; scores >= 0.65; top 750; package NMS (bottom-edge
//           order, overlap / own area >= 0.4); box made square (side =
//           height), clipped
//   landmarks: box truncated to int, crop resized to 64x64 (bilinear), grey
//           0.114R + 0.587G + 0.299B, /256; points truncated to int
//   align: 5-point least-squares similarity to the ArcFace points, bilinear
//           warp to 112x112 (the anchor's default; the package's 3-point
//           affine is far less accurate)
//   embed: planes R,G,B (v-127)/128 -> 512 floats, L2-normalised
//   liveness: box x2.7 (Silent-Face fitting), 128x128, R,G,B raw 0..255, softmax
//
// usage: node face_peer.js MODELS_DIR RUNS DUMP.rgb...   -> JSON on stdout
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const tries = [
    path.join(__dirname, '..', '..', 'tests', 'node_modules', 'onnxruntime-node'),
    path.join(__dirname, 'node_modules', 'onnxruntime-node'),
    'onnxruntime-node',
  ];
  for (const t of tries) {
    try { return require(t); } catch (e) { /* next */ }
  }
  throw new Error('onnxruntime-node not found (npm install in tests/)');
}
const ort = loadOrt();

function readDump(p) {
  const b = fs.readFileSync(p);
  const w = b.readUInt32LE(0), h = b.readUInt32LE(4);
  return { w, h, d: new Uint8Array(b.buffer, b.byteOffset + 8, w * h * 3) };
}

// bilinear sample of channel c at (x, y) (pixel-centre coordinates), clamped
function sampler(img) {
  const { w, h, d } = img;
  return function (x, y, c) {
    if (x < 0) x = 0; if (y < 0) y = 0;
    if (x > w - 1) x = w - 1; if (y > h - 1) y = h - 1;
    const x0 = Math.floor(x), y0 = Math.floor(y);
    const x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
    const fx = x - x0, fy = y - y0;
    const a = d[(y0 * w + x0) * 3 + c], b = d[(y0 * w + x1) * 3 + c];
    const e = d[(y1 * w + x0) * 3 + c], f = d[(y1 * w + x1) * 3 + c];
    return (a * (1 - fx) + b * fx) * (1 - fy) + (e * (1 - fx) + f * fx) * fy;
  };
}

// crop rectangle (x, y, cw, ch) resized to ow x oh, like cv.resize(INTER_LINEAR)
function cropResize(img, x, y, cw, ch, ow, oh) {
  const s = sampler(img), out = new Float32Array(ow * oh * 3);
  const sx = cw / ow, sy = ch / oh;
  for (let j = 0; j < oh; j++) {
    const yy = y + (j + 0.5) * sy - 0.5;
    for (let i = 0; i < ow; i++) {
      const xx = x + (i + 0.5) * sx - 0.5;
      for (let c = 0; c < 3; c++) out[(j * ow + i) * 3 + c] = Math.round(s(xx, yy, c));
    }
  }
  return out;
}

function planes(rgb, n, order, sub, mul) {
  const t = new Float32Array(3 * n);
  for (let k = 0; k < 3; k++) {
    const c = order[k];
    for (let i = 0; i < n; i++) t[k * n + i] = (rgb[i * 3 + c] - sub) * mul;
  }
  return t;
}

const REF = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

// least-squares similarity src -> dst; returns the inverse map (crop -> image)
function similarityInv(src) {
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < 5; i++) { msx += src[i][0]; msy += src[i][1]; mdx += REF[i][0]; mdy += REF[i][1]; }
  msx /= 5; msy /= 5; mdx /= 5; mdy /= 5;
  let nr = 0, ni = 0, den = 0;
  for (let i = 0; i < 5; i++) {
    const sx = src[i][0] - msx, sy = src[i][1] - msy, dx = REF[i][0] - mdx, dy = REF[i][1] - mdy;
    nr += sx * dx + sy * dy; ni += sx * dy - sy * dx; den += sx * sx + sy * sy;
  }
  const ar = nr / den, ai = ni / den;                 // a = ar + i ai
  const tr = mdx - (ar * msx - ai * msy), ti = mdy - (ai * msx + ar * msy);
  // inverse: x = (d - t) / a
  const m2 = ar * ar + ai * ai, ir = ar / m2, ii = -ai / m2;
  return [ir, -ii, -(ir * tr - ii * ti), ii, ir, -(ii * tr + ir * ti)];
}

function warp112(img, m) {
  const s = sampler(img), out = new Float32Array(112 * 112 * 3);
  for (let v = 0; v < 112; v++)
    for (let u = 0; u < 112; u++) {
      const x = m[0] * u + m[1] * v + m[2], y = m[3] * u + m[4] * v + m[5];
      const inside = x > -1 && y > -1 && x < img.w && y < img.h;
      for (let c = 0; c < 3; c++) out[(v * 112 + u) * 3 + c] = inside ? s(x, y, c) : 0;
    }
  return out;
}

function packageNms(c) {
  c.sort((a, b) => b[4] - a[4]);
  c = c.slice(0, 750);
  c.sort((a, b) => a[3] - b[3]);
  const keep = [];
  for (const b of c) {
    let drop = false;
    for (const k of keep) {
      const iw = Math.min(k[2], b[2]) - Math.max(k[0], b[0]) + 1;
      const ih = Math.min(k[3], b[3]) - Math.max(k[1], b[1]) + 1;
      const area = (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
      if (iw > 0 && ih > 0 && (iw * ih) / area >= 0.4) { drop = true; break; }
    }
    if (!drop) keep.push(b);
  }
  return keep;
}

async function pipeline(S, img) {
  // detect
  const det = cropResize(img, 0, 0, img.w, img.h, 320, 240);
  const dt = planes(det, 320 * 240, [2, 1, 0], 127, 1 / 128);
  const dr = await S.detect.run({ input: new ort.Tensor('float32', dt, [1, 3, 240, 320]) });
  const sc = dr.scores.data, bx = dr.boxes.data, n = sc.length / 2;
  const cand = [];
  for (let i = 0; i < n; i++)
    if (sc[2 * i + 1] >= 0.65)
      cand.push([bx[4 * i] * 320, bx[4 * i + 1] * 240, bx[4 * i + 2] * 320, bx[4 * i + 3] * 240, sc[2 * i + 1]]);
  const kept = packageNms(cand);
  if (!kept.length) return null;
  const fx = img.w / 320, fy = img.h / 240;
  let best = null, ba = -1;
  for (const b of kept) {
    const x0 = b[0] * fx, y0 = b[1] * fy, x1 = b[2] * fx, y1 = b[3] * fy;
    const side = y1 - y0, cx = (x0 + x1) / 2;
    let q = [cx - side / 2, y0, cx + side / 2, y1];
    q = [Math.max(0, q[0]), Math.max(0, q[1]), Math.min(img.w - 1, q[2]), Math.min(img.h - 1, q[3])];
    const a = (q[2] - q[0]) * (q[3] - q[1]);
    if (a > ba) { ba = a; best = q; }
  }
  // landmarks (int box, int points)
  const bx0 = Math.trunc(best[0]), by0 = Math.trunc(best[1]);
  const bw = Math.trunc(best[2]) - bx0, bh = Math.trunc(best[3]) - by0;
  const lc = cropResize(img, bx0, by0, bw, bh, 64, 64);
  const lt = new Float32Array(64 * 64);
  for (let i = 0; i < 64 * 64; i++)
    lt[i] = Math.round(0.114 * lc[3 * i] + 0.587 * lc[3 * i + 1] + 0.299 * lc[3 * i + 2]) / 256;
  const lr = await S.landmark.run({ input: new ort.Tensor('float32', lt, [1, 1, 64, 64]) });
  const o = lr.output.data, lm = [];
  for (let i = 0; i < 68; i++) lm.push([Math.trunc(o[2 * i] * bw + bx0), Math.trunc(o[2 * i + 1] * bh + by0)]);
  const mean = (idx) => [idx.reduce((s, k) => s + lm[k][0], 0) / idx.length, idx.reduce((s, k) => s + lm[k][1], 0) / idx.length];
  const p5 = [mean([37, 38, 40, 41]), mean([43, 44, 46, 47]), lm[30], mean([48, 60]), mean([54, 64])];
  // align + embed
  const crop = warp112(img, similarityInv(p5));
  const ft = planes(crop, 112 * 112, [0, 1, 2], 127, 1 / 128);
  const fr = await S.feature.run({ input: new ort.Tensor('float32', ft, [1, 3, 112, 112]) });
  const e = fr.output.data;
  let nn = 0;
  for (let i = 0; i < e.length; i++) nn += e[i] * e[i];
  nn = Math.sqrt(nn);
  // liveness
  const w = best[2] - best[0], h = best[3] - best[1], cx = (best[0] + best[2]) / 2, cy = (best[1] + best[3]) / 2;
  const sc2 = Math.min(2.7, Math.min((img.h - 1) / h, (img.w - 1) / w));
  let x0 = cx - w * sc2 / 2, y0 = cy - h * sc2 / 2, x1 = cx + w * sc2 / 2, y1 = cy + h * sc2 / 2;
  if (x0 < 0) { x1 -= x0; x0 = 0; } if (y0 < 0) { y1 -= y0; y0 = 0; }
  if (x1 > img.w - 1) { x0 -= x1 - img.w + 1; x1 = img.w - 1; }
  if (y1 > img.h - 1) { y0 -= y1 - img.h + 1; y1 = img.h - 1; }
  const vc = cropResize(img, Math.trunc(x0), Math.trunc(y0), Math.trunc(x1 - x0), Math.trunc(y1 - y0), 128, 128);
  const vt = planes(vc, 128 * 128, [0, 1, 2], 0, 1);
  const vr = await S.liveness.run({ input: new ort.Tensor('float32', vt, [1, 3, 128, 128]) });
  const p = Array.from(vr.output.data), mx = Math.max(...p);
  const ex = p.map((v) => Math.exp(v - mx)), se = ex.reduce((a, b) => a + b, 0);
  return { box: best, emb8: Array.from(e.slice(0, 8)).map((v) => v / nn), live: ex.map((v) => v / se) };
}

async function main() {
  const [models, runsArg, ...files] = process.argv.slice(2);
  const runs = parseInt(runsArg || '20', 10);
  const opt = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
                graphOptimizationLevel: 'all' };
  const S = {};
  for (const m of ['detect', 'landmark', 'feature', 'liveness'])
    S[m] = await ort.InferenceSession.create(path.join(models, `fr_${m}.onnx`), opt);
  const res = [];
  let all = 0;
  for (const f of files) {
    const img = readDump(f);
    let r = null;
    const t = [];
    for (let i = -3; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      r = await pipeline(S, img);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= 0) t.push(ms);
    }
    t.sort((a, b) => a - b);
    all += t[t.length >> 1];
    res.push({ dump: f, width: img.w, height: img.h, face: !!r, median_ms: t[t.length >> 1],
               min_ms: t[0], box: r && r.box, emb8: r && r.emb8, live: r && r.live });
  }
  process.stdout.write(JSON.stringify({ peer: `onnxruntime-node ${require(path.join(__dirname, '..', '..', 'tests', 'node_modules', 'onnxruntime-node', 'package.json')).version}`,
    threads: 1, runs, mean_of_medians_ms: all / files.length, images: res }) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
