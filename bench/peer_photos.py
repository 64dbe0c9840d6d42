#!/usr/bin/env python3
"""Writes the image peer's synthetic photos (../shared/bench/peers/image_peer.py, make_photo) to
files, so that curate's benchmark decodes exactly the bytes the peers decode.

Usage: python3 bench/peer_photos.py PEERS_DIR OUT_DIR [N]   (needs numpy and Pillow: the peer venv)
"""
import os
import sys

peers, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 16
sys.path.insert(0, peers)
from image_peer import make_photo  # noqa: E402

os.makedirs(out, exist_ok=True)
for seed in range(n):
    with open(os.path.join(out, f"photo-{seed:02d}.jpg"), "wb") as f:
        f.write(make_photo(seed))
print(f"wrote {n} peer photos to {out}")
