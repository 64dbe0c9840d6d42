#!/usr/bin/env python3
"""curate weak-pairs on a generated catalog: 100,000 images against 1,000,000 page sentences.
`make bench` calls this.

The catalog (curate-bench --make-weak-catalog, Benchmarks/curate-bench/WeakPairsBench.swift) is
generated once into $PEERS_DATA/weak-100000 with its detections.jsonl (1-5 detections per image
over 200 classes) and copied fresh for every run. Runs: two threads (the target: at least 2,000
images/s on two cores) and one thread. The figure includes reading the detections, selecting the
images, retrieval and writing the weak pairs. The authors' pipeline (Sentence-BERT + GPU faiss)
cannot run here, so the figure is absolute; bench/dense_coco.py measures a dense retriever's
embedding cost on the CPU for the README's comparison.

Usage: bench/weak_pairs_bench.py --curate .build/release/curate --bench .build/release/curate-bench [--rounds 3] [--images 100000]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curate", default=".build/release/curate")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=100_000)
    args = ap.parse_args()
    data = os.environ.get("PEERS_DATA") or os.path.join(tempfile.gettempdir(), "peers-data")
    source = os.path.join(data, f"weak-{args.images}")
    if not os.path.exists(os.path.join(source, "catalog.sqlite")):
        print(f"# generating {source} (once)", flush=True)
        subprocess.run([args.bench, "--make-weak-catalog", source, "--n", str(args.images)], check=True)
    results = {}
    summary = ""
    for threads in (2, 1):
        rates = []
        for _ in range(args.rounds):
            work = tempfile.mkdtemp(prefix="curate-bench-weak-")
            try:
                shutil.copy(os.path.join(source, "catalog.sqlite"), os.path.join(work, "catalog.sqlite"))
                t0 = time.perf_counter()
                cmd = [args.curate, "weak-pairs", "--work", work, "--detections", os.path.join(source, "detections.jsonl"), "--threads", str(threads)]
                if threads == 1:
                    cmd = ["taskset", "-c", "0"] + cmd
                proc = subprocess.run(cmd, capture_output=True, text=True)
                wall = time.perf_counter() - t0
                if proc.returncode != 0:
                    sys.exit(f"weak_pairs_bench: {' '.join(cmd)} failed:\n{proc.stderr}")
                summary = proc.stdout.strip()
                rates.append(args.images / wall)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        results[threads] = rates
    print(summary)
    print(f"curate weak-pairs, {args.images:,} images against 1,000,000 sentences, median of {args.rounds} runs (target >= 2,000 images/s on 2 cores):")
    for threads, rates in results.items():
        print(f"  {threads} thread{'s' if threads > 1 else ''}{'' if threads > 1 else ' '} {statistics.median(rates):7.0f} images/s  ({min(rates):.0f}..{max(rates):.0f})")


if __name__ == "__main__":
    main()
