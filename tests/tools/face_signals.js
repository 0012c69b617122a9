#!/usr/bin/env node
// face_signals.js -- synthetic per-frame signals for `shualian face challenge
// check` black-box tests. Usage: face_signals.js CHALLENGE.json MODE
// MODE: pass | swap (first two actions swapped) | identity (someone else
// mid-sequence) | late (last action after its window) | noface | spoof
'use strict';
const fs = require('fs');
const [cpath, mode] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(cpath, 'utf8'));
const frames = [];
for (let t = c.issued_at; t <= c.expires_at + 1500; t += 33)
  frames.push({ t_ms: t, face: mode !== 'noface', eye_open_left: 0.9, eye_open_right: 0.9,
                yaw: 0, pitch: 0, roll: 0, mouth_open: 0.04, similarity: 0.8,
                live_score: mode === 'spoof' ? 0.1 : 0.9 });
function perform(action, start, step) {
  for (const f of frames) {
    const d = f.t_ms - start;
    if (action === 'blink' && d >= 300 && d < 450) f.eye_open_left = f.eye_open_right = 0.05;
    if (action === 'turn_left' && d >= 300 && d < 1200) f.yaw = -30;   // fr_pose: left < 0
    if (action === 'turn_right' && d >= 300 && d < 1200) f.yaw = 30;
    if (action === 'nod' && d >= 300 && d < 900) f.pitch = -20;
    if (action === 'open_mouth' && d >= 300 && d < 1200) f.mouth_open = 0.55;
    if (action === 'read_digits') {
      let w0 = 0;
      for (const end of step.digit_ends) {   // read each digit 350..650 ms after it shows
        if (d >= w0 + 350 && d < w0 + 650) f.mouth_open = 0.3;
        w0 = end;
      }
    }
  }
}
const steps = c.steps;
steps.forEach((s, i) => {
  let at = s.start;
  if (mode === 'swap' && i < 2) at = steps[1 - i].start;
  if (mode === 'late' && i === steps.length - 1) at = s.end - 100;
  const target = (mode === 'swap' && i < 2) ? steps[1 - i] : s;
  perform(s.action, at, s.action === 'read_digits' ? { digit_ends: target === s ? s.digit_ends : [1000, 2000, 3000, 4000] } : s);
});
if (mode === 'identity')
  for (const f of frames)
    if (f.t_ms >= steps[1].start && f.t_ms < steps[1].start + 400) f.similarity = 0.1;
process.stdout.write(JSON.stringify({ frames }) + '\n');
