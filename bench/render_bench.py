#!/usr/bin/env python3
"""curate's Unifont renderer against its peer, in the same run, on the same texts: `make bench`
calls this.

Texts: the peer's own 2,000 typical alt texts (10-30 words, some accented Latin, CJK, Cyrillic;
make_texts() of ../shared/bench/peers/unifont_render.py), written once to a file that
curate-bench reads, so both sides render exactly the same strings at 224x224.

Rounds alternate, both pinned to one core (taskset -c 0), so this machine's drifting speed hits
both sides alike:
  peer    unifont_render.py (NumPy, big_vision's layout, "bv" row): a new 224x224x3 uint8 array per text
  curate  curate-bench --render: TextRenderer.renderRGB, a new 224x224 RGB8 image per text
The ratio is the median of the per-round ratios; the issue's target is 10x.

Usage: bench/render_bench.py --shared ../shared --bench .build/release/curate-bench [--rounds 3]
"""
import argparse
import os
import statistics
import sys
import tempfile

import benchlib


def run_json(cmd):
    """cmd pinned to one core (taskset -c 0)."""
    return benchlib.run_json(["taskset", "-c", "0"] + cmd, name="render_bench")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    peers = os.path.join(args.shared, "bench/peers")
    sys.path.insert(0, peers)
    from unifont_render import make_texts  # the peer's texts, not a copy of them

    data = os.environ.get("PEERS_DATA") or os.path.join(tempfile.gettempdir(), "peers-data")
    os.makedirs(data, exist_ok=True)
    texts = os.path.join(data, "render-texts.txt")
    with open(texts, "w", encoding="utf-8") as f:
        f.write("\n".join(make_texts(2000)) + "\n")

    peer_rates, curate_rates, peer_load, curate_load = [], [], [], []
    detail = ""
    for i in range(args.rounds):
        rows, _ = run_json([sys.executable, os.path.join(peers, "unifont_render.py"), "--reps", "3"])
        bv = next(r for r in rows if r["mode"] == "bv")
        peer_rates.append(bv["renders_per_s"])
        peer_load.append(bv["font_load_ms"])
        rows, detail = run_json([args.bench, "--render", texts, "--reps", "3"])
        curate_rates.append(rows[0]["renders_per_s"])
        curate_load.append(rows[0]["font_load_ms"])
        print(f"# round {i + 1}: peer {peer_rates[-1]:.0f}, curate {curate_rates[-1]:.0f} renders/s "
              f"({curate_rates[-1] / peer_rates[-1]:.1f}x)", flush=True)

    med = statistics.median
    print(detail.rstrip())
    print(f"Unifont render 224x224 of {len(make_texts(2000))} alt texts, 1 core, median of {args.rounds} alternating rounds")
    print(f"{'':40s} {'renders/s':>10s} {'us/render':>10s} {'font load ms':>13s}")
    for name, rates, load in [("peer NumPy, big_vision layout (bv)", peer_rates, peer_load),
                              ("curate TextRenderer.renderRGB", curate_rates, curate_load)]:
        print(f"{name:40s} {med(rates):10.0f} {1e6 / med(rates):10.1f} {med(load):13.0f}")
    ratios = [c / p for c, p in zip(curate_rates, peer_rates)]
    print(f"ratio curate / peer: {med(ratios):.1f}x (rounds {min(ratios):.1f}..{max(ratios):.1f}; target 10x)")


if __name__ == "__main__":
    main()
