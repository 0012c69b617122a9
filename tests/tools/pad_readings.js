#!/usr/bin/env node
// pad_readings.js -- which reading of fr_liveness separates real from spoof?
// Runs fr_detect, the 2.7x crop (scale reduced to fit, shifted inside), and
// fr_liveness on ../shared/faces/pad/{real,spoof} (SL_FACES overrides) with
// R,G,B and B,G,R planes (raw 0..255), and prints the AUC of every softmax
// output as the live score, for images with and without a detected face
// (without: the whole image is the crop). Usage: node pad_readings.js [OUT.json]
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
const { execFileSync } = require('child_process');
const fs = require('fs');
const M = path.join(__dirname, '..', '..', 'models') + '/';
function raw(file, geom, w, h) {
  const args = [file]; if (geom) args.push('-crop', geom, '+repage');
  args.push('-resize', `${w}x${h}!`, '-depth', '8', 'rgb:-');
  return execFileSync('convert', args, { maxBuffer: 1 << 26 });
}
function auc(live, att) { let u = 0; for (const a of live) for (const b of att) u += a > b ? 1 : a === b ? 0.5 : 0; return u / (live.length * att.length); }
(async () => {
  const det = await ort.InferenceSession.create(M + 'fr_detect.onnx');
  const liv = await ort.InferenceSession.create(M + 'fr_liveness.onnx');
  const root = path.join(process.env.SL_FACES || path.join(__dirname, '..', '..', '..', 'shared', 'faces'), 'pad');
  const res = [];
  for (const cls of ['real', 'spoof']) for (const f of fs.readdirSync(`${root}/${cls}`).sort()) {
    const file = `${root}/${cls}/${f}`;
    const [W, H] = execFileSync('identify', ['-format', '%w %h', file]).toString().split(' ').map(Number);
    const px = raw(file, '', 320, 240), t = new Float32Array(3 * 240 * 320);
    for (let i = 0; i < 240 * 320; i++) for (let c = 0; c < 3; c++) t[c * 76800 + i] = (px[i * 3 + (2 - c)] - 127) / 128;
    const o = await det.run({ input: new ort.Tensor('float32', t, [1, 3, 240, 320]) });
    let best = null; const sc = o.scores.data, bx = o.boxes.data;
    for (let i = 0; i < sc.length / 2; i++) if (sc[2 * i + 1] >= 0.65 && (!best || sc[2 * i + 1] > best.s))
      best = { s: sc[2 * i + 1], b: [bx[4 * i] * W, bx[4 * i + 1] * H, bx[4 * i + 2] * W, bx[4 * i + 3] * H] };
    let geom = '', ctx = 0;
    if (best) {
      let [x1, y1, x2, y2] = best.b; const side = y2 - y1, cx = (x1 + x2) / 2; x1 = cx - side / 2; x2 = cx + side / 2;
      const bw = x2 - x1, bh = y2 - y1, s = Math.min(2.7, (H - 1) / bh, (W - 1) / bw);
      let l = cx - bw * s / 2, r = cx + bw * s / 2, tp = (y1 + y2) / 2 - bh * s / 2, bt = (y1 + y2) / 2 + bh * s / 2;
      if (l < 0) { r -= l; l = 0; } if (tp < 0) { bt -= tp; tp = 0; } if (r > W - 1) { l -= r - W + 1; r = W - 1; } if (bt > H - 1) { tp -= bt - H + 1; bt = H - 1; }
      l = Math.max(0, l); tp = Math.max(0, tp);
      geom = `${Math.round(r - l)}x${Math.round(bt - tp)}+${Math.round(l)}+${Math.round(tp)}`;
      ctx = s / 2.7;
    }
    const p = raw(file, geom, 128, 128);
    const out = {};
    for (const order of ['rgb', 'bgr']) {
      const lt = new Float32Array(3 * 128 * 128);
      for (let i = 0; i < 128 * 128; i++) for (let c = 0; c < 3; c++) lt[c * 16384 + i] = p[i * 3 + (order === 'rgb' ? c : 2 - c)];
      const lo = await liv.run({ [liv.inputNames[0]]: new ort.Tensor('float32', lt, [1, 3, 128, 128]) });
      const z = Array.from(lo[liv.outputNames[0]].data), m = Math.max(...z), e = z.map(v => Math.exp(v - m)), s = e.reduce((a, b) => a + b);
      out[order] = e.map(v => v / s);
    }
    res.push({ cls, f, face: !!best, ctx, out });
  }
  if (process.argv[2]) fs.writeFileSync(process.argv[2], JSON.stringify(res));
  for (const subset of ['all', 'face', 'noface']) {
    const sel = res.filter(r => subset === 'all' || (subset === 'face') === r.face);
    for (const order of ['rgb', 'bgr']) for (const k of [0, 1, 2]) {
      const L = sel.filter(r => r.cls === 'real').map(r => r.out[order][k]), A = sel.filter(r => r.cls === 'spoof').map(r => r.out[order][k]);
      if (L.length && A.length) console.log(`${subset} (${L.length} real/${A.length} spoof) ${order} p[${k}] AUC=${auc(L, A).toFixed(3)}`);
    }
  }
})();
