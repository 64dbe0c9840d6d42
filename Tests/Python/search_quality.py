#!/usr/bin/env python3
"""An independent judge of `curate search --truth`: the same figure computed from the issue's
definition with nothing of curate but `curate embed` (the model's embeddings). For each colour
and shape that some val image holds (truth.jsonl's objects), a query phrased "a C S", "a large C
S", "two C Ss" or "a small C S" by turns (colours and shapes in alphabetical order, turn = their
two indices' sum); its precision is the share of the top min(5, R) val images, ranked by cosine
similarity, that hold an object of that colour and shape (R: the val images that do). Prints one
JSON line: {"mean": …, "queries": {query: precision}}.

Usage: search_quality.py CURATE CHECKPOINT SHARD_FOLDER TRUTH_JSONL"""
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

curate, checkpoint, shards, truth_path = sys.argv[1:5]
truth = {}
for line in open(truth_path):
    record = json.loads(line)
    if record.get("type") == "image" and "sha256" in record:
        truth[record["sha256"]] = {(o["colour"], o["shape"]) for o in record.get("objects", [])}

# The val images, each once (a weak pair's five sentences are five samples of one image).
images, folder = [], tempfile.mkdtemp()
for path in sorted(glob.glob(os.path.join(shards, "val-*.tar"))):
    members = {}
    with tarfile.open(path) as tar:
        for member in tar:
            key, _, ext = member.name.partition(".")
            members.setdefault(key, {})[ext] = tar.extractfile(member).read()
    for key, sample in members.items():
        if "jpg" not in sample:
            continue
        sha = json.loads(sample["json"]).get("image_sha256", key) if "json" in sample else key
        if sha not in [s for s, _ in images]:
            file = os.path.join(folder, f"{len(images):05d}.jpg")
            open(file, "wb").write(sample["jpg"])
            images.append((sha, file))


def embed(arguments):
    out = subprocess.run([curate, "embed", "--checkpoint", checkpoint] + arguments, capture_output=True, text=True, check=True).stdout
    return {record["input"]: record["embedding"] for record in map(json.loads, out.splitlines())}


by_file = embed(["--images"] + [file for _, file in images])
gallery = [(sha, by_file[file]) for sha, file in images if file in by_file]
judged = [sha for sha, _ in gallery if sha in truth]
colours = sorted({c for sha in judged for c, _ in truth[sha]})
shapes = sorted({s for sha in judged for _, s in truth[sha]})
forms = ["a {c} {s}", "a large {c} {s}", "two {c} {s}s", "a small {c} {s}"]
queries = []
for ci, c in enumerate(colours):
    for si, s in enumerate(shapes):
        relevant = sum((c, s) in truth[sha] for sha in judged)
        if relevant:
            queries.append((forms[(ci + si) % 4].format(c=c, s=s), c, s, relevant))
query_file = os.path.join(folder, "queries.txt")
open(query_file, "w").write("".join(q + "\n" for q, *_ in queries))
by_query = embed(["--texts", query_file])
precision = {}
for query, c, s, relevant in queries:
    e = by_query[query]
    ranked = sorted(gallery, key=lambda item: -sum(x * y for x, y in zip(e, item[1])))
    top = [sha for sha, _ in ranked if sha in truth][:min(5, relevant)]
    precision[query] = sum((c, s) in truth[sha] for sha in top) / len(top)
print(json.dumps({"mean": sum(precision.values()) / len(precision), "queries": precision}))
