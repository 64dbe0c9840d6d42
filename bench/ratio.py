#!/usr/bin/env python3
"""Pairs the alternating rounds `make bench` runs (peer, then curate, then peer, ...) and prints
each round's ratio and their median. This machine's speed drifts by up to 2x within minutes, so
only figures taken moments apart are compared. Slow phases only ever slow a run down, so the
best round of each side is printed too: the two sides' speed when neither was disturbed.

Usage: python3 bench/ratio.py PEER_JSONL CURATE_JSONL
"""
import json
import statistics
import sys

peer = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ours = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
rounds = list(zip(peer, ours))
for key, label in (("img_per_s_1p", "1 core"), ("img_per_s_np", "2 cores")):
    ratios = [o[key] / p[key] for p, o in rounds]
    print(f"{label}: " + "  ".join(f"{o[key]:.0f}/{p[key]:.0f}={o[key] / p[key]:.2f}x" for p, o in rounds))
    best = max(o[key] for o in ours) / max(p[key] for p in peer)
    print(f"ratio vs {peer[0]['pipeline']}, {label}: median {statistics.median(ratios):.2f}x over {len(ratios)} rounds, "
          f"best round vs best round {best:.2f}x" + ("  (target 1.5x)" if key == "img_per_s_1p" else ""))
