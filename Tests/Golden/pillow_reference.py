#!/usr/bin/env python3
"""Writes Tests/Golden/pillow-reference.json: an independent decoder's view of every image in
../shared/corpus/images/valid, which ImagingTests compares curate's decoder with.

For each file, Pillow 13.0.0 opens it, applies the EXIF orientation (ImageOps.exif_transpose),
takes the first frame, composites any transparency on white (curate's documented choice) and
reports the size and the mean of each channel. One exception: Pillow converts 16-bit grey (mode
I;16) to 8 bits by clipping at 255, not by keeping the high byte as it does for 16-bit colour;
for those files the script takes the high byte itself (and applies tRNS), so that the reference
is the image's content, not that conversion's artefact.

Usage: python3 Tests/Golden/pillow_reference.py ../shared/corpus > Tests/Golden/pillow-reference.json
(needs Pillow and numpy: the peer venv that `make bench` creates has both)
"""
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image, ImageOps

corpus = sys.argv[1]
out = {"pillow": PIL.__version__, "images": {}}
base = os.path.join(corpus, "images", "valid")
for folder in sorted(os.listdir(base)):
    for name in sorted(os.listdir(os.path.join(base, folder))):
        rel = f"images/valid/{folder}/{name}"
        try:
            im = Image.open(os.path.join(base, folder, name))
            im.seek(0)
            im = ImageOps.exif_transpose(im)
            if im.mode.startswith("I;16") or im.mode == "I":
                raw = np.asarray(im).astype(np.int64)
                grey = (raw >> 8).astype(np.float64)
                alpha = np.where(raw == im.info.get("transparency", -1), 0.0, 255.0)
                rgba = np.stack([grey, grey, grey, alpha], axis=-1)
            else:
                rgba = np.asarray(im.convert("RGBA"), dtype=np.float64)
            a = rgba[..., 3:4] / 255.0
            rgb = rgba[..., :3] * a + 255.0 * (1 - a)
            out["images"][rel] = {"mode": im.mode, "width": im.width, "height": im.height,
                                  "mean": [round(float(v), 3) for v in rgb.reshape(-1, 3).mean(axis=0)]}
        except Exception as e:  # noqa: BLE001 - recorded, not hidden
            out["images"][rel] = {"error": f"{type(e).__name__}: {e}"}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
