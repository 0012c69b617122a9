#!/usr/bin/env python3
"""bench/pose_eval.py -- tables for docs/face.md "Head pose: which source per
angle" from `shualian-dev face pose-eval` output (TSV, one line per image
and per mirror image; see dev/face_pose_eval.c).

Without ground-truth angles, each source is judged by what a correct one
must satisfy on a photo and its mirror image: yaw(m) = -yaw, roll(m) =
-roll, pitch(m) = pitch. The violation (half the sum for yaw/roll, half the
difference for pitch) is a lower bound on the source's error on that photo.
The geometric yaw's gain is fitted (least squares) to fr_pose on the photos
where fr_pose agrees with itself (both channel orders, photo and mirror).

usage: bench/pose_eval.py FILE.tsv... [--gain G]
"""
import math
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
gain = None
if '--gain' in sys.argv:
    gain = float(sys.argv[sys.argv.index('--gain') + 1])
rows = {}
for fn in args:
    for line in open(fn):
        f = line.rstrip('\n').split('\t')
        if len(f) < 12:
            continue
        v = [float(x) for x in f[2:12]]
        rows.setdefault(f[0], {})[int(f[1])] = v
pairs = [(p, d[0], d[1]) for p, d in rows.items()
         if 0 in d and 1 in d and all(math.isfinite(x) for x in d[0] + d[1])]
n_img = len(rows)
print(f"images {n_img}, with a face in both the photo and its mirror: {len(pairs)}")

def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]

def stats(name, errs):
    a = [abs(e) for e in errs]
    print(f"| {name} | {q(a, .5):.1f} | {q(a, .9):.1f} | {q(a, .99):.1f} | "
          f"{100 * sum(x > 5 for x in a) / len(a):.1f} % | "
          f"{100 * sum(x > 15 for x in a) / len(a):.1f} % |")

# columns: 0..2 ypr RGB, 3..5 ypr BGR, 6 geo yaw (built-in gain), 7 nose offset,
# 8 eye-line roll, 9 interocular
yr = [((a[0] + b[0]) / 2, (a[0] - b[0]) / 2) for _, a, b in pairs]
yb = [((a[3] + b[3]) / 2, (a[3] - b[3]) / 2) for _, a, b in pairs]
mir_r = sorted(abs(e) for e, _ in yr)
mir_b = sorted(abs(e) for e, _ in yb)
ref = yr if q([abs(e) for e, _ in yr], .5) < q([abs(e) for e, _ in yb], .5) else yb
ref_name = "R,G,B" if ref is yr else "B,G,R"
off = [((a[7] + b[7]) / 2, (a[7] - b[7]) / 2) for _, a, b in pairs]
if gain is None:
    # yaw_geo = -asin(g * offset): fit g (least squares) on the photos where
    # fr_pose agrees with itself: both channel orders and the mirror image
    # within 3 degrees; the reference is their symmetrised mean
    sel = []
    for (er, tr), (eb, tb), (_, o) in zip(yr, yb, off):
        if abs(er) < 3 and abs(eb) < 3 and abs(tr - tb) < 3:
            sel.append((o, (tr + tb) / 2))
    best = None
    for i in range(20, 400):
        g = i / 200
        s = sum((-math.degrees(math.asin(max(-1, min(1, g * o)))) - t) ** 2 for o, t in sel)
        if best is None or s < best[0]:
            best = (s, g)
    gain = best[1]
    print(f"fit on {len(sel)} self-consistent photos: rms {math.sqrt(best[0] / len(sel)):.1f} deg")
print(f"geometric yaw gain g = {gain:.3f}")
geo = lambda o: -math.degrees(math.asin(max(-1, min(1, gain * o))))
yg = [((geo(a[7]) + geo(b[7])) / 2, (geo(a[7]) - geo(b[7])) / 2) for _, a, b in pairs]

print("\nmirror violation (degrees; share of photos above 5 and 15 degrees)\n")
print("| source | median | p90 | p99 | > 5 | > 15 |")
print("|---|---:|---:|---:|---:|---:|")
stats("yaw, fr_pose R,G,B planes (before)", [e for e, _ in yr])
stats("yaw, fr_pose B,G,R planes", [e for e, _ in yb])
stats("yaw, 68 landmarks (geometric)", [e for e, _ in yg])
stats("pitch, fr_pose R,G,B planes (before)", [(a[1] - b[1]) / 2 for _, a, b in pairs])
stats("pitch, fr_pose B,G,R planes", [(a[4] - b[4]) / 2 for _, a, b in pairs])
stats("roll, fr_pose R,G,B planes (before)", [(a[2] + b[2]) / 2 for _, a, b in pairs])
stats("roll, fr_pose B,G,R planes", [(a[5] + b[5]) / 2 for _, a, b in pairs])
stats("roll, eye line", [(a[8] + b[8]) / 2 for _, a, b in pairs])

print("\nagreement of the mirror-symmetrised yaws (degrees)\n")
print("| pair | median | p90 | p99 | > 5 | > 15 |")
print("|---|---:|---:|---:|---:|---:|")
stats("geometric vs fr_pose R,G,B", [g - t for (_, g), (_, t) in zip(yg, yr)])
stats("geometric vs fr_pose B,G,R", [g - t for (_, g), (_, t) in zip(yg, yb)])
stats("fr_pose R,G,B vs B,G,R", [a - b for (_, a), (_, b) in zip(yr, yb)])

print("\nshare of photos (and mirrors) over 15 degrees (enrol limit) and 30 (verify limit)\n")
print("| source | > 15 | > 30 |")
print("|---|---:|---:|")
for name, col in (("fr_pose R,G,B (before)", 0), ("fr_pose B,G,R", 3)):
    v = [abs(r[col]) for _, a, b in pairs for r in (a, b)]
    print(f"| {name} | {100 * sum(x > 15 for x in v) / len(v):.1f} % | "
          f"{100 * sum(x > 30 for x in v) / len(v):.1f} % |")
v = [abs(geo(r[7])) for _, a, b in pairs for r in (a, b)]
print(f"| geometric | {100 * sum(x > 15 for x in v) / len(v):.1f} % | "
      f"{100 * sum(x > 30 for x in v) / len(v):.1f} % |")
