// challenge.js -- the liveness challenge on the phone, shared by the seed
// 001 application (h5.js) and the seed 002 pages (pending.js): the
// server's prompts (digits one at a time, actions) shown at the server's
// times, frames captured every ~200 ms with t_ms from the challenge's
// issue (at most 64, gaps far below the 500 ms the analysis refuses).
import { t, pick, extend } from '../shared/i18n.js';
import * as cam from '../shared/camera.js';

extend({
  'h5.leadin': ['请正对镜头，保持不动', 'Face the camera and hold still'],
  'h5.left': ['剩余 {s} 秒', '{s} s left'],
});
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
// what is on screen at offset ms from the issue: [prompt, digit, ms left, which digit]
export function screenAt(ch, ms) {
  for (const s of ch.steps) {
    const s0 = s.start - ch.issued_at, e0 = s.end - ch.issued_at;
    if (ms < s0 || ms >= e0) continue;
    if (s.action === 'read_digits' && s.digits) {
      let from = 0;
      for (let k = 0; k < s.digits.length; k++) {
        const to = s.digit_ends[k];
        if (ms - s0 >= from && ms - s0 < to) return [pick(s.prompt), s.digits[k], e0 - ms, s.start + ':' + k];
        from = to;
      }
      return [pick(s.prompt), '', e0 - ms];
    }
    return [pick(s.prompt), '', e0 - ms];
  }
  const first = ch.steps.length ? ch.steps[0].start - ch.issued_at : 0;
  return [ms < first ? t('h5.leadin') : '', '', ms < first ? first - ms : 0];
}
// runs challenge ch on ui {video, prompt, digit, countdown}; returns the frames
export async function run(ch, ui) {
  const t0 = performance.now();
  const total = ch.steps.length ? ch.steps[ch.steps.length - 1].end - ch.issued_at + 200 : 2000;
  const every = Math.max(200, Math.ceil(total / 60));   // at most 64 frames, gaps well under 500 ms
  const frames = [];
  let nextShot = 0;
  for (;;) {
    const ms = performance.now() - t0;
    if (ms > total) break;
    const [p, d, left, at] = screenAt(ch, ms);   // at: which digit (step:index), so a repeated digit is shown anew
    if (ui.prompt.textContent !== p) ui.prompt.textContent = p;
    if (ui.digit.dataset.at !== (at || '')) { ui.digit.textContent = d; ui.digit.dataset.at = at || ''; }
    ui.countdown.textContent = left > 0 ? t('h5.left', { s: Math.ceil(left / 1000) }) : '';
    if (ms >= nextShot && frames.length < 64) {
      const f = cam.capture(ui.video, 0.8);
      const tm = Math.round(performance.now() - t0);
      if (!frames.length || tm > frames[frames.length - 1].t_ms) frames.push({ t_ms: tm, image: f.image });
      nextShot += every;
    }
    await sleep(40);
  }
  ui.prompt.textContent = ''; ui.digit.textContent = ''; ui.digit.dataset.at = ''; ui.countdown.textContent = '';
  return frames;
}
