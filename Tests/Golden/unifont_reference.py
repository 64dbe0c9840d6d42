#!/usr/bin/env python3
"""Independent reference for curate's Unifont renderer: big_vision's own `render_unifont` op,
run in TensorFlow, over every case of unifont-cases.json. Nothing of curate is used.

big_vision's op reads unifont-9.0.06.hex and unifont_upper-9.0.06.hex; curate uses Debian's
unifont 15.0.01 (plane 0 only), so this script hands the op Debian's unifont.hex for the first
file and an empty file for the second. Everything else is big_vision's code, unmodified.

For each case it writes unifont/NAME.png (8-bit grayscale: the op's three channels are checked
to be equal) or, when the op itself fails, records the error; unifont/reference.json lists
each case's outcome, the big_vision commit and the TensorFlow version. RenderTests compares
curate's renders with these files pixel for pixel.

    python3 -m venv /tmp/tf-venv && /tmp/tf-venv/bin/pip install tensorflow-cpu==2.21.0 numpy pillow absl-py
    git clone https://github.com/google-research/big_vision /tmp/big_vision
    /tmp/tf-venv/bin/python3 Tests/Golden/unifont_reference.py /tmp/big_vision
"""
import io
import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf
from PIL import Image

HEX = os.environ.get("CURATE_UNIFONT", "/usr/share/unifont/unifont.hex")
here = os.path.dirname(os.path.abspath(__file__))
big_vision = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "/tmp/big_vision")
sys.path.insert(0, big_vision)

real_gfile = tf.io.gfile.GFile


def gfile(path, mode="r"):
    """big_vision's font paths -> Debian's plane-0 font, and no upper planes."""
    if path.endswith("unifont-9.0.06.hex"):
        return open(HEX, mode)
    if path.endswith("unifont_upper-9.0.06.hex"):
        return io.StringIO("")
    return real_gfile(path, mode)


tf.io.gfile.GFile = gfile
from big_vision.pp.proj.clippo import pp_ops  # noqa: E402  (after the patch, on purpose)

try:
    commit = subprocess.run(["git", "-C", big_vision, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
except OSError:
    commit = ""
commit = commit or os.environ.get("BIG_VISION_COMMIT", "unknown")

with open(os.path.join(here, "unifont-cases.json"), encoding="utf-8") as f:
    cases = json.load(f)["cases"]
out_dir = os.path.join(here, "unifont")
os.makedirs(out_dir, exist_ok=True)
ops = {}
results = []
for case in cases:
    kwargs = dict(image_size=224, lower=True, font_size=16, text_brightness=0, background_brightness=127)
    kwargs.update(case.get("options", {}))
    key = json.dumps(kwargs, sort_keys=True)
    if key not in ops:  # building an op loads the font (seconds): once per set of arguments
        ops[key] = pp_ops.get_pp_render_text(**kwargs)
    entry = {"name": case["name"]}
    try:
        image = ops[key]({"texts": tf.constant(case["text"])})["image"].numpy()
    except Exception as error:  # the op's own failure is part of the reference
        entry["error"] = type(error).__name__ + ": " + str(error).splitlines()[0]
        print(f"{case['name']}: big_vision fails: {entry['error']}")
    else:
        assert image.dtype == np.uint8 and image.shape[2] == 3, image.shape
        assert (image[:, :, 0] == image[:, :, 1]).all() and (image[:, :, 1] == image[:, :, 2]).all()
        Image.fromarray(image[:, :, 0], mode="L").save(os.path.join(out_dir, case["name"] + ".png"), optimize=True)
        entry["size"] = list(image.shape[:2])
        entry["values"] = sorted(int(v) for v in np.unique(image))[:8]
        print(f"{case['name']}: {image.shape[1]}x{image.shape[0]}, values {entry['values']}")
    results.append(entry)

with open(os.path.join(out_dir, "reference.json"), "w") as f:
    json.dump({"big_vision_commit": commit, "tensorflow": tf.__version__, "font": HEX, "cases": results}, f, indent=1)
    f.write("\n")
