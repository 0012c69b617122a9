// camera.js -- getUserMedia and frame capture: canvas -> JPEG base64 with
// the capture time (ms, performance clock and wall clock) for challenges.
export async function open(video, facing = 'user') {
  const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: facing, width: 640, height: 480 }, audio: false });
  video.srcObject = s;
  await video.play();
  return s;
}
export function close(video) {
  const s = video.srcObject;
  if (s) s.getTracks().forEach((t) => t.stop());
  video.srcObject = null;
}
export function capture(video, quality = 0.9) {
  const c = document.createElement('canvas');
  c.width = video.videoWidth || 640; c.height = video.videoHeight || 480;
  c.getContext('2d').drawImage(video, 0, 0, c.width, c.height);
  const url = c.toDataURL('image/jpeg', quality);
  return { image: url.slice(url.indexOf(',') + 1), t_ms: Math.round(performance.now()), at: new Date().toISOString() };
}
