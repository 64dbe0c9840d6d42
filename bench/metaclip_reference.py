#!/usr/bin/env python3
"""MetaCLIP's own matching, the reference for curate's: its released code's Aho-Corasick path
(metaclip/substr_matching_ahocorasick.py and curation/substr_matching.py: pyahocorasick over the
space-padded entries, `spacing` on each text, `automaton.iter`, the set of entry ids), written
from that description, timed on the same texts and entries as curate. Also MetaCLIP 1's pure
Python path (`entry in text` for every entry) on a sample of the texts, per text.

  metaclip_reference.py --catalog CATALOG.sqlite --metadata ENTRIES.txt [--pure-sample 200]
prints one JSON line.
"""
import argparse
import json
import sqlite3
import string
import time

import ahocorasick

PUNCT = set(string.punctuation) | set("，。、；：？！“”‘’（）【】《》〈〉「」『』～—")


def cjk_like(c):
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2EBEF or 0xF900 <= o <= 0xFAFF or 0x2E80 <= o <= 0x2FFF
            or 0x0E00 <= o <= 0x0EFF or 0x1000 <= o <= 0x109F or 0x1780 <= o <= 0x17FF or 0x0F00 <= o <= 0x0FFF or c in PUNCT)


def spacing(text):
    text = f" {text} "
    for p in [",", ".", ";", ":", "?", "!", "`"]:
        text = text.replace(p, f" {p} ")
    for c in ["\t", "\n", "\r"]:
        text = text.replace(c, " ")
    return text


def padded(entry):
    if not cjk_like(entry[0]):
        entry = " " + entry
    if not cjk_like(entry[-1]):
        entry = entry + " "
    return entry


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--metadata", required=True)
    ap.add_argument("--pure-sample", type=int, default=200)
    args = ap.parse_args()
    entries = [line.strip() for line in open(args.metadata, encoding="utf-8") if line.strip() and not line.startswith("#")]
    texts = [row[0] for row in sqlite3.connect(args.catalog).execute("SELECT text FROM pairs ORDER BY id")]
    t0 = time.perf_counter()
    automaton = ahocorasick.Automaton()
    for idx, entry in enumerate(entries):
        automaton.add_word(padded(entry), (idx, entry))
    automaton.make_automaton()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    matches = 0
    for text in texts:
        matches += len({entry_id for _, (entry_id, _) in automaton.iter(spacing(text))})
    match = time.perf_counter() - t0
    spaced = [padded(e) for e in entries]
    sample = texts[: args.pure_sample]
    t0 = time.perf_counter()
    for text in sample:
        text = spacing(text)
        [i for i, e in enumerate(spaced) if e in text]
    pure = time.perf_counter() - t0
    print(json.dumps({"texts": len(texts), "entries": len(entries), "automaton_seconds": build, "match_texts_per_s": len(texts) / match,
                      "matches": matches, "pure_python_texts_per_s": len(sample) / pure}))


if __name__ == "__main__":
    main()
