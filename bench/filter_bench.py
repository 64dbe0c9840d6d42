#!/usr/bin/env python3
"""curate filter on a generated catalog of 1,000,000 image/text pairs: `make bench` calls this.

The catalog (curate-bench --make-filter-catalog, Benchmarks/curate-bench/FilterBench.swift) has
crawl-dump's schema, 1,000,000 pairs over 333,333 images on 50,000 pages, with every image's pHash
already cached (as after a first run: JPEG decoding is measured by make bench-images), and noise in
known amounts. It is generated once into $PEERS_DATA/filter-1m and copied fresh for every round.
No peer implements ALIGN's filters with reasons (the issue's point), so the figure is absolute:
the target is under 60 s on this machine.

Rounds: the default rules (rules/align.toml), then the same with text_rare_token.min_count=2
(the minimum-count vocabulary: a second pass over the texts). Wall time and peak RSS per run.

Usage: bench/filter_bench.py --curate .build/release/curate --bench .build/release/curate-bench [--rounds 3] [--pairs 1000000]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd):
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode(errors="replace")
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"filter_bench: {' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curate", default=".build/release/curate")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=1_000_000)
    args = ap.parse_args()

    data = os.environ.get("PEERS_DATA") or os.path.join(tempfile.gettempdir(), "peers-data")
    source = os.path.join(data, f"filter-{args.pairs}")
    if not os.path.exists(os.path.join(source, "catalog.sqlite")):
        print(f"# generating {source} (once)", flush=True)
        subprocess.run([args.bench, "--make-filter-catalog", source, "--n", str(args.pairs)], check=True)
    results = {}
    table = ""
    for name, extra in [("default rules", []), ("min_count = 2", ["--set", "text_rare_token.min_count=2"])]:
        walls, rss = [], []
        for _ in range(args.rounds):
            work = tempfile.mkdtemp(prefix="curate-bench-filter-")
            try:
                shutil.copy(os.path.join(source, "catalog.sqlite"), os.path.join(work, "catalog.sqlite"))
                wall, mem, out = timed([args.curate, "filter", "--work", work] + extra)
                walls.append(wall)
                rss.append(mem)
                if not table:
                    table = out[out.index("rule "):] if "rule " in out else out
            finally:
                shutil.rmtree(work, ignore_errors=True)
        results[name] = (statistics.median(walls), min(walls), max(walls), statistics.median(rss))
    print(table.rstrip())
    print(f"curate filter on {args.pairs:,} generated pairs, median of {args.rounds} runs (target < 60 s):")
    for name, (med, lo, hi, mem) in results.items():
        print(f"  {name:16s} {med:6.1f} s  ({lo:.1f}..{hi:.1f})  {args.pairs / med:9.0f} pairs/s  peak RSS {mem:.0f} MB")


if __name__ == "__main__":
    main()
