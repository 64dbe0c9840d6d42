#!/usr/bin/env python3
"""Independent reference for crawl-dump's <img> extraction: html5lib (a pure-Python parser that
follows the WHATWG parsing algorithm; no libxml2) over every page of ../shared/corpus/html.

Per page, in document order, every <img>: its alt (None when the attribute is missing; white
space collapsed as curate documents), src, title and aria-label (None when missing or blank),
the text of its figure's <figcaption> (the figcaptions of the innermost <figure> around it,
without the text of script, style, template, noscript, textarea and select, nor of elements
marked hidden; None when there is none), whether it sits inside <noscript>, and whether it sits
inside <template> (whose content is not part of the document). Writes html-reference.json beside
this script; CrawlTests compares curate's extraction with it.

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
        invisible = {"script", "style", "template", "noscript", "textarea", "select", "button", "svg", "math", "iframe",
                     "noembed", "noframes", "xmp", "canvas", "object"}

        def hidden(el):
            return el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true"

        def visible_text(el):
            if not isinstance(el.tag, str) or el.tag in invisible or hidden(el):
                return el.tail or "" if isinstance(el.tag, str) else ""
            out = [el.text or ""]
            for child in el:
                if isinstance(child.tag, str) and (child.tag in invisible or hidden(child)):
                    out.append(child.tail or "")
                else:
                    out.append(visible_text(child))
            out.append(el.tail or "")
            return "".join(out)

        def captions(figure):
            # The figcaptions whose innermost figure is this one.
            found = []
            def look(node):
                for child in node:
                    if not isinstance(child.tag, str) or child.tag == "figure":
                        continue
                    if child.tag == "figcaption":
                        text = visible_text(child) if not hidden(child) else ""
                        found.append(text[: len(text) - len(child.tail or "")])
                    else:
                        look(child)
            look(figure)
            text = " ".join(" ".join(found).split())
            return text or None

        def text_attribute(el, name):
            value = el.get(name)
            value = None if value is None else " ".join(value.split())
            return value or None

        def walk(node, noscript, template, figure):
            for child in node:
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag == "img":
                    alt = child.get("alt")
                    imgs.append({"alt": None if alt is None else " ".join(alt.split()),
                                 "src": child.get("src"), "noscript": noscript, "template": template,
                                 "title": text_attribute(child, "title"), "aria_label": text_attribute(child, "aria-label"),
                                 "figcaption": captions(figure) if figure is not None else None})
                walk(child, noscript or tag == "noscript", template or tag == "template", child if tag == "figure" else figure)

        walk(doc, False, False, None)
        out[f"{folder}/{name}"] = imgs
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "html-reference.json"), "w"), indent=0, sort_keys=True, ensure_ascii=False)
print(f"{len(out)} pages, {sum(len(v) for v in out.values())} <img>")
