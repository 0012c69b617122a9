#!/usr/bin/env python3
"""hall_fusion.py -- per-photo-count thresholds of the portrait library
(docs/hall.md): TAR at FAR 1e-3 / 1e-4 when a person is scored by the
L2-normalised mean of k = 1..4 enrolled photos, against max-over-photos.

Reads the embedding cache `shualian-dev eval --cache FILE` writes (no model run
here): make one with
  build/shualian-dev eval --faces ../shared/faces/dev --threads 2 --cache build/face-eval-dev.cache
then: python3 bench/hall_fusion.py build/face-eval-dev.cache
Protocol: identities with >= 5 photos with a face (sorted by file name);
the gallery is the first k photos, every photo from the 5th on is a probe
(held out from every gallery); genuine = probe vs own gallery, impostor =
probe vs every other identity's gallery. Pure Python (no numpy)."""
import json, math, os, struct, sys
from operator import mul

def read_cache(path):
    with open(path, 'rb') as f:
        magic = f.read(4); ver, = struct.unpack('<I', f.read(4))
        f.read(8); n, = struct.unpack('<Q', f.read(8))
        out = {}
        for _ in range(n):
            ln, = struct.unpack('<H', f.read(2)); p = f.read(ln).decode()
            f.read(16); state = f.read(1)[0]
            emb = struct.unpack('<512f', f.read(2048))
            if state == 1:
                out[p] = emb
        return out

def unit(v):
    s = math.sqrt(sum(x * x for x in v)); return [x / s for x in v]

def dot(a, b): return sum(map(mul, a, b))

def tar_at(gen, imp, far):
    imp = sorted(imp, reverse=True)
    k = int(far * len(imp))            # impostors allowed above the threshold
    thr = imp[k] + 1e-9 if k < len(imp) else -1.0
    return sum(g >= thr for g in gen) / len(gen), thr, len(imp)

def main():
    emb = read_cache(sys.argv[1])
    by = {}
    for p, e in emb.items():
        by.setdefault(os.path.basename(os.path.dirname(p)), []).append((p, e))
    ids = {k: [e for _, e in sorted(v)] for k, v in by.items() if len(v) >= 5}
    names = sorted(ids)
    res = {"identities": len(names), "probes": sum(len(ids[n]) - 4 for n in names), "k": {}}
    for k in (1, 2, 3, 4):
        gal = {n: unit([sum(c) for c in zip(*ids[n][:k])]) for n in names}
        gen, imp, gen_max, imp_max = [], [], [], []
        for n in names:
            for pr in ids[n][4:]:
                for m in names:
                    s = dot(pr, gal[m])
                    smax = max(dot(pr, g) for g in ids[m][:k]) if k > 1 else s
                    (gen if m == n else imp).append(s)
                    (gen_max if m == n else imp_max).append(smax)
        row = {}
        for far in (1e-3, 1e-4):
            t, thr, ni = tar_at(gen, imp, far)
            tm, thrm, _ = tar_at(gen_max, imp_max, far)
            row["far_%g" % far] = {"tar_mean": round(t, 4), "threshold_mean": round(thr, 4),
                                   "tar_max": round(tm, 4), "threshold_max": round(thrm, 4)}
        row["impostor_pairs"] = len(imp); row["genuine_pairs"] = len(gen)
        res["k"][k] = row
        print("k=%d done" % k, file=sys.stderr)
    print(json.dumps(res, indent=2))

main()
