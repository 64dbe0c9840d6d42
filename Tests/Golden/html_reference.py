#!/usr/bin/env python3
"""Independent reference for crawl-dump's <img> extraction: html5lib (a pure-Python parser that
follows the WHATWG parsing algorithm; no libxml2) over every page of ../shared/corpus/html.

Per page, in document order, every <img>: its alt (None when the attribute is missing; white
space collapsed as curate documents), src, whether it sits inside <noscript>, and whether it
sits inside <template> (whose content is not part of the document). Writes html-reference.json
beside this script; CrawlTests compares curate's extraction with it.

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install html5lib==1.1
    /tmp/ref/bin/python3 Tests/Golden/html_reference.py ../shared/corpus/html
"""
import json
import os
import sys

import html5lib

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../shared/corpus/html")
out = {}
for folder in sorted(os.listdir(root)):
    d = os.path.join(root, folder)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        if not name.endswith(".html"):
            continue
        with open(os.path.join(d, name), "rb") as f:
            doc = html5lib.parse(f.read(), treebuilder="etree", namespaceHTMLElements=False)
        imgs = []

        def walk(node, noscript, template):
            for child in node:
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag == "img":
                    alt = child.get("alt")
                    imgs.append({"alt": None if alt is None else " ".join(alt.split()),
                                 "src": child.get("src"), "noscript": noscript, "template": template})
                walk(child, noscript or tag == "noscript", template or tag == "template")

        walk(doc, False, False)
        out[f"{folder}/{name}"] = imgs
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "html-reference.json"), "w"), indent=0, sort_keys=True, ensure_ascii=False)
print(f"{len(out)} pages, {sum(len(v) for v in out.values())} <img>")
