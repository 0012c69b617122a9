#!/usr/bin/env python3
"""index_table.py OUT_DIR -- markdown table from bench/index.sh's JSON files:
median over runs, with min..max of the single-query median in brackets."""
import glob, json, os, statistics, sys

d = sys.argv[1]
rows = {}
for f in sorted(glob.glob(os.path.join(d, "index-*.json"))):
    j = json.load(open(f))
    key = (j["n"], j["kind"], j["threads"], j["dist"])
    rows.setdefault(key, []).append(j)
peer = {}
for f in glob.glob(os.path.join(d, "faiss-*.json")):
    j = json.load(open(f))
    peer.setdefault(j["n"], []).append(j)

def med(rs, k):
    return statistics.median(r[k] for r in rs)

print("| N | kind | thr | data | single median ms [min..max over runs] | fastest single ms | p99 ms | batch64 ms | "
      "bound ms (bytes/bandwidth) | % of bandwidth | recall@1 in / out | recall@10 | "
      "rank-1 ident | FPR @0.5 | add us/template | bytes/template | RSS MB | nprobe/nlist |")
print("|" + "---|" * 18)
for key in sorted(rows, key=lambda k: (k[0], k[1] == "ivf", k[1], k[3], k[2])):
    rs = rows[key]
    n, kind, t, dist = key
    lat = [r["lat_median_ms"] for r in rs]
    bound = med(rs, "bound_ms")
    pct = f"{100 * bound / med(rs, 'lat_median_ms'):.0f} %" if bound else "-"
    probe = f"{rs[0]['nprobe']}/{rs[0]['nlist']}" if kind == "ivf" else "-"
    print(f"| {n} | {kind} | {t} | {dist} | {statistics.median(lat):.2f} "
          f"[{min(lat):.2f}..{max(lat):.2f}] | {min(r['lat_min_ms'] for r in rs):.2f} | {med(rs, 'lat_p99_ms'):.2f} | "
          f"{med(rs, 'batch64_ms'):.1f} | {bound:.2f} @ {med(rs, 'bandwidth_gbs'):.1f} GB/s | "
          f"{pct} | {med(rs, 'recall1'):.4f} / {med(rs, 'recall1_out'):.4f} | "
          f"{med(rs, 'recall10'):.4f} | {med(rs, 'rank1_ident'):.3f} | {med(rs, 'fpr'):.3f} | "
          f"{med(rs, 'add_us_per_template'):.2f} | {rs[0]['bytes_per_template']} | "
          f"{rs[0]['rss_mb']} | {probe} |")
if peer:
    print()
    print("Same-run FAISS 1.7.3 (Debian build), one thread, single queries, median ms "
          "[min..max over runs], and our int8 exact scan's speed-up over it:")
    print()
    print("| N | FAISS FlatIP (fp32) | FAISS SQ8 | ours int8 exact | speed-up vs FlatIP | vs SQ8 |")
    print("|---|---|---|---|---|---|")
    for n in sorted(peer):
        ps = peer[n]
        fl = [p["flat_median_ms"] for p in ps]
        sq = [p["sq8_median_ms"] for p in ps]
        ours = rows.get((n, "int8", 1, "fitted-standin")) or rows.get((n, "int8", 1, "fitted"))
        o = med(ours, "lat_median_ms") if ours else float("nan")
        print(f"| {n} | {statistics.median(fl):.1f} [{min(fl):.1f}..{max(fl):.1f}] | "
              f"{statistics.median(sq):.1f} [{min(sq):.1f}..{max(sq):.1f}] | {o:.2f} | "
              f"{statistics.median(fl) / o:.1f}x | {statistics.median(sq) / o:.1f}x |")
