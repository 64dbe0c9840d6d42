#!/usr/bin/env python3
"""An independent judge for curate's WordNet reader and DataComp's text-based filter: NLTK's own
WordNet reader over Debian's wordnet-base files (NLTK's corpus download is not reachable here, so
the reader is pointed at /usr/share/wordnet; NLTK also wants `lexnames`, which Debian does not
ship: the 45 lexicographer file names of WordNet 3.0 are written beside links to the files).

  wordnet_oracle.py --wordnet DIR --words FILE       one JSON line per word: NLTK's synsets(word)[0]
  wordnet_oracle.py --wordnet DIR --captions FILE --ids FILE
                                                     one line per caption: DataComp's
                                                     does_contain_text_entity(caption), as its
                                                     baselines/apply_filter.py computes it
                                                     (text.split(), synsets(word)[0].offset() in the
                                                     set of the list's offsets), and the same with the
                                                     part of speech compared too
"""
import argparse
import json
import os
import sys
import shutil
import tempfile

import nltk
from nltk.corpus.reader.wordnet import WordNetCorpusReader

LEXNAMES = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body noun.cognition
noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive noun.object noun.person
noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation noun.shape noun.state noun.substance
noun.time verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption verb.contact
verb.creation verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl""".split()


class DebianWordNet(WordNetCorpusReader):
    # NLTK maps another WordNet's synsets onto 3.0's for its multilingual data when the folder's
    # version differs from that of its own download; Debian's files are 3.0 and nothing here is
    # multilingual, so there is nothing to map.
    def map_wn(self, version="wordnet"):
        return None


def reader(folder):
    # Copies, not links: NLTK refuses files that resolve outside the corpus root it is given.
    root = tempfile.mkdtemp(prefix="curate-wordnet-")
    nltk.data.path.append(root)
    for name in os.listdir(folder):
        if name.startswith(("index.", "data.")) or name.endswith(".exc"):
            shutil.copy(os.path.join(folder, name), os.path.join(root, name))
    with open(os.path.join(root, "lexnames"), "w") as f:
        for i, name in enumerate(LEXNAMES):
            f.write(f"{i:02d}\t{name}\t{ {'adj': 3, 'adv': 4, 'noun': 1, 'verb': 2}[name.split('.')[0]] }\n")
    import warnings
    warnings.simplefilter("ignore")
    return DebianWordNet(root, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--words")
    ap.add_argument("--captions")
    ap.add_argument("--ids")
    args = ap.parse_args()
    wn = reader(args.wordnet)
    try:
        run(wn, args)
    finally:
        shutil.rmtree(wn.root.path if hasattr(wn.root, "path") else str(wn.root), ignore_errors=True)


def run(wn, args):
    out = sys.stdout
    if args.words:
        for word in open(args.words, encoding="utf-8").read().split("\n"):
            if not word:
                continue
            synsets = wn.synsets(word)
            first = synsets[0] if synsets else None
            out.write(json.dumps({"word": word, "first": None if first is None else f"{first.pos()}{first.offset():08d}",
                                  "first_noun": next((f"n{s.offset():08d}" for s in synsets if s.pos() == "n"), None)}) + "\n")
    if args.captions:
        ids = [line.strip() for line in open(args.ids) if line.strip() and not line.startswith("#")]
        offsets = {int(i[1:]) for i in ids}
        for caption in open(args.captions, encoding="utf-8").read().split("\n"):
            if not caption:
                continue
            datacomp = pos_aware = False
            for word in caption.split():
                synsets = wn.synsets(word)
                if not synsets:
                    continue
                if synsets[0].offset() in offsets:
                    datacomp = True
                    pos_aware = pos_aware or synsets[0].pos() == "n"
            out.write(json.dumps({"caption": caption, "datacomp": datacomp, "pos_aware": pos_aware}) + "\n")


if __name__ == "__main__":
    main()
