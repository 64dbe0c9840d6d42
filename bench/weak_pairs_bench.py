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
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from benchlib import fresh_catalog, generated, timed  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curate", default=".build/release/curate")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=100_000)
    args = ap.parse_args()
    source = generated(args.bench, "--make-weak-catalog", f"weak-{args.images}", args.images)
    results = {}
    summary = ""
    for threads in (2, 1):
        rates = []
        for _ in range(args.rounds):
            with fresh_catalog(source) as work:
                cmd = [args.curate, "weak-pairs", "--work", work, "--detections", os.path.join(source, "detections.jsonl"), "--threads", str(threads)]
                wall, _, summary = timed((["taskset", "-c", "0"] if threads == 1 else []) + cmd)
            summary = summary.strip()
            rates.append(args.images / wall)
        results[threads] = rates
    print(summary)
    print(f"curate weak-pairs, {args.images:,} images against {10 * args.images:,} sentences, median of {args.rounds} runs (target >= 2,000 images/s on 2 cores):")
    for threads, rates in results.items():
        print(f"  {threads} thread{'s' if threads > 1 else ''}{'' if threads > 1 else ' '} {statistics.median(rates):7.0f} images/s  ({min(rates):.0f}..{max(rates):.0f})")


if __name__ == "__main__":
    main()
