#!/usr/bin/env python3
"""Reads curate's shards with the webdataset library the way open_clip does, and prints one JSON
line of what it found (ShardsCommandTests checks it). Usage: read_shards.py SHARD_FOLDER"""
import glob
import json
import os
import sys

import io

import webdataset as wds
from PIL import Image


def image(data):
    """PIL's own reading, so that a grayscale PNG stays 'L' (webdataset's "pil" makes RGB)."""
    return Image.open(io.BytesIO(data))

folder = sys.argv[1]
out = {"sizes": json.load(open(os.path.join(folder, "sizes.json")))}
for split in ("train", "val", "textpairs"):
    urls = sorted(glob.glob(os.path.join(folder, f"{split}-*.tar")))
    if not urls:
        continue
    count, keys, shapes = 0, set(), set()
    if split == "textpairs":
        for sample in wds.WebDataset(urls, shardshuffle=False).to_tuple("txt", "next.txt", "render.png", "next.render.png"):
            count += 1
            shapes.add((image(sample[2]).size, image(sample[2]).mode))
    else:
        # open_clip's convention: image key jpg, text key txt.
        for jpg, text, render, meta in wds.WebDataset(urls, shardshuffle=False).decode().to_tuple("jpg", "txt", "render.png", "json"):
            count += 1
            keys.add(meta["image_sha256"])
            shapes.add((min(image(jpg).size), image(render).size, image(render).mode))
    out[split] = {"samples": count, "images": sorted(keys), "shapes": sorted(map(str, shapes))}
print(json.dumps(out))
