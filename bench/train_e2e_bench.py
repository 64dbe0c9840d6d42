#!/usr/bin/env python3
"""curate train end to end (data loading included) next to the model-only training step, in the
same run: `make bench-train` calls this (issue #10).

Data: the demo-size synthetic crawl (`curate synth-crawl --size demo`, generated once into
$PEERS_DATA/demo-crawl) through crawl-dump, filter and build-shards (224x224 shards). Model: the
peer's ViT-Ti/16 (mean pooling, head to 768), batch 32, AdamW. Rounds alternate:
  end to end   curate train --steps N: JPEG decoding, resizing, stored renders, shuffling and
               batching on a background thread while the model trains
  model only   curate-bench --train Ti/16: the same step on fixed inputs
The loader's cost is the end-to-end step time over the model-only one, minus 1 (target <= 10%),
and the time the model waited for batches, which curate train prints.

Usage: bench/train_e2e_bench.py --curate .build/release/curate --bench .build/release/curate-bench [--rounds 2] [--steps 8]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import benchlib


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--curate", default=".build/release/curate")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    data = benchlib.data_dir()
    crawl, work = os.path.join(data, "demo-crawl"), os.path.join(data, "demo-work")
    if not os.path.exists(os.path.join(work, "shards", "sizes.json")):
        shutil.rmtree(crawl, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        for cmd in (["synth-crawl", "--size", "demo", "--out", crawl], ["crawl-dump", os.path.join(crawl, "crawl.warc.gz"), "--work", work],
                    ["filter", "--work", work], ["build-shards", "--work", work, "--detections", os.path.join(crawl, "detections.jsonl")]):
            benchlib.timed([args.curate] + cmd)
    model = ["--model", "Ti/16", "--set", "pooling=gap", "--set", "embedding=768", "--batch", "32", "--optimizer", "adamw",
             "--eval-every", "100000", "--checkpoint-every", "100000"]
    e2e, only, waits = [], [], []
    for i in range(args.rounds):
        out = tempfile.mkdtemp(prefix="curate-train-bench-")
        try:
            _, _, text = benchlib.timed([args.curate, "train", "--shards", os.path.join(work, "shards"), "--out", out,
                                         "--steps", str(args.steps + 2)] + model)
            # The first two steps allocate and warm up (curate-bench skips two as well).
            with open(os.path.join(out, "metrics.jsonl")) as f:
                walls = [json.loads(line)["step_seconds"] for line in f if '"loss"' in line][2:]
        finally:
            shutil.rmtree(out, ignore_errors=True)
        e2e.append(32 / statistics.median(walls))
        waits.append(float(re.search(r"the model waited ([0-9.]+) s", text).group(1)))
        rows, _ = benchlib.run_json([args.bench, "--train", "Ti/16", "--reps", str(args.steps)], name="train_e2e_bench")
        only.append(rows[0]["pairs_per_s"])
        print(f"round {i + 1}: end to end {e2e[-1]:.2f} pairs/s (the model waited {waits[-1]:.2f} s for batches in {args.steps + 2} steps), "
              f"model only {only[-1]:.2f} pairs/s", flush=True)
    overheads = [o / e - 1 for e, o in zip(e2e, only)]
    print(f"\n== curate train, ViT-Ti/16 at 224, batch 32, data loading included (median of {args.rounds} rounds) ==")
    print(f"end to end {statistics.median(e2e):.2f} pairs/s, model only {statistics.median(only):.2f} pairs/s: "
          f"loader costs {100 * statistics.median(overheads):.1f}% of the step (target <= 10%)")


if __name__ == "__main__":
    main()
