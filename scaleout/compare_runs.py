#!/usr/bin/env python3
"""Compares a one-catalog work folder with a work folder of units (curate_spark.py's), by content.

    python3 scaleout/compare_runs.py SINGLE_WORK UNITS_WORK [--shards SINGLE_SHARDS UNITS_SHARDS]

Row ids differ between one catalog and units, so everything is compared by what it is: an image by
its SHA-256, a pair by its page's capture (the dump's SHA-256 and the record's offset), its
reference's position and its text source. Checked: the crawl (pairs and their images), every
image's and pair's filter decision (rule; for near-duplicates, the image kept in its place), the
images near evaluation images, that an image held by several units got one decision, the weak
pairs (image, rank, sentence, score) and, with --shards, every shard's and sizes.json's SHA-256. Prints
one JSON line of counts; exits 1 on the first kind of difference, naming examples.
"""
import argparse
import glob
import hashlib
import json
import os
import sqlite3
import sys

PAIRS = """
SELECT s.sha256, g.offset, r.position, p.text_source, p.text, i.sha256, coalesce(d.rule, 'kept')
FROM pairs p JOIN pages g ON g.id = p.page_id JOIN sources s ON s.id = g.source_id JOIN refs r ON r.id = p.ref_id
JOIN images i ON i.id = p.image_id LEFT JOIN filter_decisions d ON d.item = 'pair' AND d.id = p.id
"""
IMAGES = """
SELECT i.sha256, coalesce(d.rule, 'kept'), d.check_name, k.sha256, d.detail, d.distance
FROM images i LEFT JOIN filter_decisions d ON d.item = 'image' AND d.id = i.id LEFT JOIN images k ON k.id = d.related_image_id
"""
DECONTAMINATION = "SELECT i.sha256, x.eval_path, x.distance FROM decontamination x JOIN images i ON i.id = x.image_id"
WEAK = "SELECT i.sha256, w.rank, w.text, w.score FROM weak_pairs w JOIN images i ON i.id = w.image_id"


def catalogs(work):
    single = os.path.join(work, "catalog.sqlite")
    if os.path.exists(single):
        return [single]
    return sorted(glob.glob(os.path.join(work, "units", "u*", "catalog.sqlite")))


def read(work):
    pairs, images, decontamination, conflicts, weak = {}, {}, set(), [], set()
    for path in catalogs(work):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        for row in db.execute(PAIRS):
            pairs[row[:5]] = (row[5], row[6])
        for sha, rule, check, kept_sha, detail, distance in db.execute(IMAGES):
            keep = None
            if check == "near_duplicate":
                keep = kept_sha[:16] if kept_sha else detail.split("sha256:")[1][:16]
            decision = (rule, keep, distance)
            if sha in images and images[sha] != decision:
                conflicts.append((sha, images[sha], decision))
            images[sha] = decision
        # Eval images by file name: one run may have been given them by a relative path.
        decontamination |= {(sha, os.path.basename(path), distance) for sha, path, distance in db.execute(DECONTAMINATION)}
        weak |= set(db.execute(WEAK))
        db.close()
        pairs_file = os.path.join(os.path.dirname(path), "weak", "pairs.jsonl")
        if os.path.exists(pairs_file):
            for line in open(pairs_file):
                if line.strip():
                    w = json.loads(line)
                    weak.add((w["sha"], w["rank"], w["text"], w["score"]))
    return pairs, images, decontamination, conflicts, weak


def shard_digests(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.tar")) + [os.path.join(folder, "sizes.json")]):
        if os.path.exists(path):
            out[os.path.basename(path)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def differences(a, b, limit=3):
    keys = sorted(set(a) | set(b), key=repr)
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)][:limit]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("single")
    parser.add_argument("units")
    parser.add_argument("--shards", nargs=2, metavar=("SINGLE_SHARDS", "UNITS_SHARDS"))
    args = parser.parse_args()
    one, many = read(args.single), read(args.units)
    report = {"pairs": len(one[0]), "images": len(one[1]), "decontaminated": len(one[2]),
              "kept_pairs": sum(1 for v in one[0].values() if v[1] == "kept"),
              "kept_images": sum(1 for v in one[1].values() if v[0] == "kept")}
    failed = []
    if many[3]:
        failed.append(("an image with two decisions in the units", many[3][:3]))
    if one[0] != many[0]:
        failed.append(("pairs or their decisions", differences(one[0], many[0])))
    if one[1] != many[1]:
        failed.append(("image decisions", differences(one[1], many[1])))
    if one[2] != many[2]:
        failed.append(("decontamination", sorted(one[2] ^ many[2])[:3]))
    report["weak_pairs"] = len(one[4])
    if one[4] != many[4]:
        failed.append(("weak pairs", sorted(one[4] ^ many[4])[:3]))
    if args.shards:
        a, b = shard_digests(args.shards[0]), shard_digests(args.shards[1])
        report["shards"] = len(a)
        if a != b or not a:
            failed.append(("shards", differences(a, b)))
    report["same"] = not failed
    print(json.dumps(report, sort_keys=True))
    for what, examples in failed:
        print("differs: %s, e.g. %s" % (what, examples), file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
