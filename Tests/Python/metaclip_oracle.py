#!/usr/bin/env python3
"""An independent judge for curate's MetaCLIP matching: MetaCLIP's substring matching written from
its paper and its released code's description (metaclip/substr_matching.py: `spacing`, entries
padded with spaces unless they start or end with a CJK-like or punctuation character, then
`entry in text` for every entry), the brute-force way, no automaton.

  metaclip_oracle.py --texts TEXTS.jsonl --metadata ENTRIES.json
      TEXTS.jsonl: one JSON string per line; ENTRIES.json: a JSON list of entries.
      Prints one JSON object: {"counts": [matches per entry], "matched": [[entry ids] per text]}.
"""
import argparse
import json
import string

EXTRA_PUNCTUATION = set("，。、；：？！“”‘’（）【】《》〈〉「」『』～—")


def cjk_like(c):
    o = ord(c)
    ranges = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF),
              (0x2CEB0, 0x2EBEF), (0xF900, 0xFAFF), (0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0x2FF0, 0x2FFF),
              (0x0E00, 0x0E7F), (0x0E80, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x0F00, 0x0FFF)]
    return any(lo <= o <= hi for lo, hi in ranges) or c in string.punctuation or c in EXTRA_PUNCTUATION


def spaced_text(text):
    out = " " + text + " "
    for p in [",", ".", ";", ":", "?", "!", "`"]:
        out = out.replace(p, " " + p + " ")
    for c in ["\t", "\n", "\r"]:
        out = out.replace(c, " ")
    return out


def spaced_entry(entry):
    if not cjk_like(entry[0]):
        entry = " " + entry
    if not cjk_like(entry[-1]):
        entry = entry + " "
    return entry


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--metadata", required=True)
    args = ap.parse_args()
    entries = json.load(open(args.metadata, encoding="utf-8"))
    padded = [spaced_entry(e) for e in entries]
    counts = [0] * len(entries)
    matched = []
    for line in open(args.texts, encoding="utf-8"):
        if not line.strip():
            continue
        text = spaced_text(json.loads(line))
        ids = [i for i, e in enumerate(padded) if e in text]
        for i in ids:
            counts[i] += 1
        matched.append(ids)
    print(json.dumps({"counts": counts, "matched": matched}))


if __name__ == "__main__":
    main()
