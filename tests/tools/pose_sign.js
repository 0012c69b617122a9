#!/usr/bin/env node
// pose_sign.js -- runs fr_detect + fr_pose (onnxruntime-node; pixels via
// ImageMagick) on a photo and prints yaw/pitch/roll per face, writing each
// pose crop to OUTDIR/face_K.png, so the sign conventions can be checked by
// looking at the faces (docs/face.md, "Sign conventions").
// Usage: node tests/tools/pose_sign.js PHOTO.jpg [OUTDIR]
'use strict';
const ort = require(require('path').join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
const { execFileSync } = require('child_process');
const M = require('path').join(__dirname, '..', '..', 'models') + '/';
function raw(file, geom, w, h) {   // RGB bytes of crop geom (WxH+X+Y or '') resized to w x h
  const args = [file]; if (geom) args.push('-crop', geom, '+repage');
  args.push('-resize', `${w}x${h}!`, '-depth', '8', 'rgb:-');
  return execFileSync('convert', args, { maxBuffer: 1 << 26 });
}
(async () => {
  const file = process.argv[2];
  const [W, H] = execFileSync('identify', ['-format', '%w %h', file]).toString().split(' ').map(Number);
  const det = await ort.InferenceSession.create(M + 'fr_detect.onnx');
  const pose = await ort.InferenceSession.create(M + 'fr_pose.onnx');
  const px = raw(file, '', 320, 240);
  const t = new Float32Array(3 * 240 * 320);
  for (let i = 0; i < 240 * 320; i++) for (let c = 0; c < 3; c++)   // planes B,G,R
    t[c * 240 * 320 + i] = (px[i * 3 + (2 - c)] - 127) / 128;
  const o = await det.run({ input: new ort.Tensor('float32', t, [1, 3, 240, 320]) });
  const sc = o.scores.data, bx = o.boxes.data, cand = [];
  for (let i = 0; i < sc.length / 2; i++) if (sc[2 * i + 1] >= 0.65)
    cand.push({ s: sc[2 * i + 1], b: [bx[4 * i] * W, bx[4 * i + 1] * H, bx[4 * i + 2] * W, bx[4 * i + 3] * H] });
  cand.sort((a, b) => b.s - a.s);
  const keep = [];
  for (const c of cand) {
    if (keep.some(k => { const b = k.b, d = c.b; const iw = Math.max(0, Math.min(b[2], d[2]) - Math.max(b[0], d[0])), ih = Math.max(0, Math.min(b[3], d[3]) - Math.max(b[1], d[1])); return iw * ih / ((d[2] - d[0]) * (d[3] - d[1])) > 0.3; })) continue;
    keep.push(c);
  }
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  let k = 0;
  for (const c of keep) {
    const [x1, y1, x2, y2] = c.b, bw = x2 - x1, bh = y2 - y1;
    const X = Math.max(0, Math.round(x1 - bw / 4)), Y = Math.max(0, Math.round(y1 - bh / 4));
    const X2 = Math.min(W, Math.round(x2 + bw / 4)), Y2 = Math.min(H, Math.round(y2 + bh / 4));
    const geom = `${X2 - X}x${Y2 - Y}+${X}+${Y}`;
    const p = raw(file, geom, 224, 224), pt = new Float32Array(3 * 224 * 224);
    // planes B,G,R; ImageNet mean/std in R,G,B order (anchor)
    for (let i = 0; i < 224 * 224; i++) for (let ch = 0; ch < 3; ch++)
      pt[ch * 224 * 224 + i] = (p[i * 3 + (2 - ch)] / 255 - mean[ch]) / std[ch];
    const po = await pose.run({ [pose.inputNames[0]]: new ort.Tensor('float32', pt, [1, 3, 224, 224]) });
    const dec = (arr) => { let m = -1e9; for (const v of arr) m = Math.max(m, v); let s = 0, e = 0; arr.forEach((v, i) => { const q = Math.exp(v - m); s += q; e += q * i; }); return 3 * e / s - 99; };
    const yaw = dec(po['output'].data), pitch = dec(po['617'].data), roll = dec(po['618'].data);
    console.log(JSON.stringify({ k, score: c.s.toFixed(3), geom, yaw: yaw.toFixed(1), pitch: pitch.toFixed(1), roll: roll.toFixed(1) }));
    execFileSync('convert', [file, '-crop', geom, '+repage', '-resize', '160x160', require('path').join(process.argv[3] || '/tmp', `face_${k}.png`)]);
    k++;
  }
})();
