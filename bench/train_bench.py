#!/usr/bin/env python3
"""curate's CLIPPO training step against PyTorch, in the same run, on the same model: `make
bench-train` calls this (issue #9).

Model: ../shared/bench/peers/clippo_train.py's (ViT patch 16, image 224, no class token, mean
pooling, head to 768, one tower for both sides), batch 32 pairs (64 tower inputs), fp32 (and bf16, below), two
threads; a step is forward + backward + clipping + AdamW on fixed random inputs.

Rounds alternate, one model at a time, so this machine's drifting speed hits every side alike:
  peer            clippo_train.py with tcmalloc preloaded (the README's tuned peer)
  curate auto     curate-bench --train with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
                  (OpenBLAS picks its AVX-512 kernels)
  curate Haswell  the same with OPENBLAS_CORETYPE=Haswell (AVX2 kernels, as these machines'
                  environment may set)
  peer bf16       clippo_train.py --dtype bf16 (torch.autocast on the CPU: oneDNN's bf16 kernels)
  curate bf16     curate-bench --train --precision bf16 (CKernels' AVX512-BF16 product for the
                  linear layers), OpenBLAS's own kernel choice; only where the CPU has AVX512-BF16
Each curate run prints OpenBLAS's kernel (openblas_get_corename) and the sgemm 2048² ceiling it
measured in the same process. The ratio is the median of the per-round ratios of pairs/s.

Usage: bench/train_bench.py --shared ../shared --python PEERS_PYTHON [--bench .build/release/curate-bench]
                            [--variants Ti/16,S/16] [--rounds 3] [--steps 3] [--no-bf16]
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
    ap.add_argument("--no-bf16", action="store_true", help="skip the bf16 rows")
    args = ap.parse_args()
    variants = args.variants.split(",")

    auto = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    haswell = dict(auto, OPENBLAS_CORETYPE="Haswell")
    peer_env = dict(os.environ, LD_PRELOAD="libtcmalloc_minimal.so.4")
    peer_script = os.path.join(args.shared, "bench/peers/clippo_train.py")
    bf16 = "avx512_bf16" in open("/proc/cpuinfo").read() and not args.no_bf16
    sides = ("peer", "auto", "haswell") + (("peer bf16", "bf16") if bf16 else ())
    results = {side: {v: [] for v in variants} for side in sides}
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown CPU")
    print(f"CPU: {cpu}, {os.cpu_count()} cores; AVX512-BF16: {'yes' if bf16 else 'no (the bf16 rows are skipped)'}", flush=True)
    for i in range(args.rounds):
        for v in variants:  # one model at a time, so the sides of a ratio run minutes apart at most
            runs = [("peer", [args.python, peer_script, "--variant", PEER_NAMES[v], "--steps", str(args.steps)], peer_env),
                    ("auto", [args.bench, "--train", v, "--reps", str(args.steps)], auto),
                    ("haswell", [args.bench, "--train", v, "--reps", str(args.steps)], haswell)]
            if bf16:
                runs += [("peer bf16", [args.python, peer_script, "--variant", PEER_NAMES[v], "--steps", str(args.steps), "--dtype", "bf16"], peer_env),
                         ("bf16", [args.bench, "--train", v, "--reps", str(args.steps), "--precision", "bf16"], auto)]
            for side, command, env in runs:
                rows, text = benchlib.run_json(command, env, name="train_bench")
                print(f"-- round {i + 1}: {side}\n{text.rstrip()}", flush=True)
                results[side][v] += rows

    print(f"\n== CLIPPO training step, batch 32 pairs, image 224, 2 threads (median over rounds; ratio: median of the rounds' ratios) ==")
    print(f"CPU: {cpu}")
    print(f"{'model':7s} {'side':22s} {'kernel':10s} {'pairs/s':>8s} {'GFLOP/s':>8s} {'sgemm ceiling':>14s} {'vs PyTorch':>11s}")
    for v in variants:
        for peer_side, ours_sides, label in (("peer", ("auto", "haswell"), "fp32"), ("peer bf16", ("bf16",), "bf16 autocast")):
            if peer_side not in results:
                continue
            peer = results[peer_side][v]
            print(f"{v:7s} {'PyTorch ' + label:22s} {'(oneDNN)':10s} {statistics.median(r['pairs_per_s'] for r in peer):8.2f} "
                  f"{statistics.median(r['achieved_GFLOP_per_s'] for r in peer):8.1f} {'':>14s} {'1.00x':>11s}")
            for side in ours_sides:
                ours = results[side][v]
                ratios = [o["pairs_per_s"] / p["pairs_per_s"] for o, p in zip(ours, peer)]
                name = {"auto": "curate fp32", "haswell": "curate fp32 Haswell", "bf16": "curate bf16"}[side]
                print(f"{v:7s} {name:22s} {ours[0]['kernel']:10s} {statistics.median(r['pairs_per_s'] for r in ours):8.2f} "
                      f"{statistics.median(r['gflops'] for r in ours):8.1f} {statistics.median(r['ceiling'] for r in ours):14.0f} "
                      f"{statistics.median(ratios):10.2f}x")


if __name__ == "__main__":
    main()
