#!/usr/bin/env python3
"""curate's CLIPPO training step against PyTorch, in the same run, on the same model: `make
bench-train` calls this (issue #9).

Model: ../shared/bench/peers/clippo_train.py's (ViT patch 16, image 224, no class token, mean
pooling, head to 768, one tower for both sides), batch 32 pairs (64 tower inputs), fp32, two
threads; a step is forward + backward + clipping + AdamW on fixed random inputs.

Rounds alternate, one model at a time, so this machine's drifting speed hits every side alike:
  peer            clippo_train.py with tcmalloc preloaded (the README's tuned peer)
  curate auto     curate-bench --train with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
                  (OpenBLAS picks its AVX-512 kernels)
  curate Haswell  the same with OPENBLAS_CORETYPE=Haswell (AVX2 kernels, as these machines'
                  environment may set)
Each curate run prints OpenBLAS's kernel (openblas_get_corename) and the sgemm 2048² ceiling it
measured in the same process. The ratio is the median of the per-round ratios of pairs/s.

Usage: bench/train_bench.py --shared ../shared --python PEERS_PYTHON [--bench .build/release/curate-bench]
                            [--variants Ti/16,S/16] [--rounds 3] [--steps 3]
"""
import argparse
import os
import statistics
import sys

import benchlib

PEER_NAMES = {"Ti/16": "ti", "S/16": "s", "B/16": "b"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--python", required=True, help="a Python with torch (the peers' venv)")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--variants", default="Ti/16,S/16")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=3)
    args = ap.parse_args()
    variants = args.variants.split(",")

    auto = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    haswell = dict(auto, OPENBLAS_CORETYPE="Haswell")
    peer_env = dict(os.environ, LD_PRELOAD="libtcmalloc_minimal.so.4")
    peer_script = os.path.join(args.shared, "bench/peers/clippo_train.py")
    results = {side: {v: [] for v in variants} for side in ("peer", "auto", "haswell")}
    for i in range(args.rounds):
        for v in variants:  # one model at a time, so the three sides of a ratio run minutes apart at most
            rows, text = benchlib.run_json([args.python, peer_script, "--variant", PEER_NAMES[v], "--steps", str(args.steps)], peer_env, name="train_bench")
            print(f"-- round {i + 1}: peer\n{text.rstrip()}", flush=True)
            results["peer"][v] += rows
            for side, env in (("auto", auto), ("haswell", haswell)):
                rows, text = benchlib.run_json([args.bench, "--train", v, "--reps", str(args.steps)], env, name="train_bench")
                print(f"-- round {i + 1}: curate, OpenBLAS {side}\n{text.rstrip()}", flush=True)
                results[side][v] += rows

    print("\n== CLIPPO training step, batch 32 pairs, image 224, fp32, 2 threads (median over rounds) ==")
    print(f"{'model':7s} {'side':16s} {'kernel':10s} {'pairs/s':>8s} {'GFLOP/s':>8s} {'sgemm ceiling':>14s} {'vs PyTorch':>11s}")
    for v in variants:
        peer = results["peer"][v]
        print(f"{v:7s} {'PyTorch+tcmalloc':16s} {'(oneDNN)':10s} {statistics.median(r['pairs_per_s'] for r in peer):8.2f} "
              f"{statistics.median(r['achieved_GFLOP_per_s'] for r in peer):8.1f} {'':>14s} {'1.00x':>11s}")
        for side in ("auto", "haswell"):
            ours = results[side][v]
            ratios = [o["pairs_per_s"] / p["pairs_per_s"] for o, p in zip(ours, peer)]
            print(f"{v:7s} {'curate ' + side:16s} {ours[0]['kernel']:10s} {statistics.median(r['pairs_per_s'] for r in ours):8.2f} "
                  f"{statistics.median(r['gflops'] for r in ours):8.1f} {statistics.median(r['ceiling'] for r in ours):14.0f} "
                  f"{statistics.median(ratios):10.2f}x")


if __name__ == "__main__":
    main()
