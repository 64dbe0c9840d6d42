#!/usr/bin/env python3
"""crawl-dump against its peers, in the same run, on the same WARC: `make bench` calls this.

Input: the synthetic Common-Crawl-like WARC of ../shared/bench/peers/gen_warc.py (2,000 pages,
about 55 MB of .warc.gz), generated once into $PEERS_DATA; and the same generator at --big-pages
for the second memory figure.

Rounds alternate, so that this machine's drifting speed hits both sides alike:
  peer   warc_html.py --only e2e:fastwarc+selectolax,e2e:warcio+lxml (one process, one thread)
  curate crawl-dump --threads 1 pinned to one core (taskset -c 0), into a fresh work folder
  curate crawl-dump --threads 2 on both cores
The curate figures are the whole command: reading, HTTP, charsets, libxml2 extraction of
images and sentences, image hashing, and the SQLite catalog with its FTS5 index. The peers only
extract (src, alt) pairs and keep nothing. Peak memory is the command's maximum resident set
size (from wait4), at two dump sizes.

Usage: bench/crawl_bench.py --shared ../shared --curate .build/release/curate [--rounds 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def data_dir():
    d = os.environ.get("PEERS_DATA") or os.path.join(tempfile.gettempdir(), "peers-data")
    os.makedirs(d, exist_ok=True)
    return d


def ensure_warc(shared, pages, name):
    path = os.path.join(data_dir(), name)
    if not os.path.exists(path):
        print(f"# generating {path} ({pages} pages, once)", flush=True)
        subprocess.run([sys.executable, os.path.join(shared, "bench/peers/gen_warc.py"), "--pages", str(pages), "--out", path],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS in MB). Fails loudly on a non-zero exit."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"crawl_bench: {' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024


def crawl(curate, warc, threads, one_core):
    work = tempfile.mkdtemp(prefix="curate-bench-crawl-")
    try:
        cmd = [curate, "crawl-dump", warc, "--work", work, "--threads", str(threads)]
        if one_core:
            cmd = ["taskset", "-c", "0"] + cmd
        return timed(cmd)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def peers(shared, warc):
    fd, out = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    subprocess.run([sys.executable, os.path.join(shared, "bench/peers/warc_html.py"), "--warc", warc, "--reps", "1",
                    "--only", "e2e:fastwarc+selectolax,e2e:warcio+lxml", "--json", out], check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        rows = [json.loads(line) for line in f]
    os.remove(out)
    return {r["config"]: r for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--curate", default=".build/release/curate")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--big-pages", type=int, default=8000)
    args = ap.parse_args()

    warc = ensure_warc(args.shared, 2000, "synth.warc.gz")
    big = ensure_warc(args.shared, args.big_pages, f"synth-{args.big_pages}.warc.gz")
    with open(warc + ".json") as f:
        meta = json.load(f)
    pages, html_mb, gz_mb = meta["pages"], meta["html_bytes"] / 1e6, os.path.getsize(warc) / 1e6

    fast, lxml, one, two, rss = [], [], [], [], []
    for i in range(args.rounds):
        p = peers(args.shared, warc)
        fast.append(p["e2e:fastwarc+selectolax"]["pages_per_s"])
        lxml.append(p["e2e:warcio+lxml"]["pages_per_s"])
        w1, _ = crawl(args.curate, warc, 1, one_core=True)
        w2, m2 = crawl(args.curate, warc, 2, one_core=False)
        one.append(pages / w1)
        two.append(pages / w2)
        rss.append(m2)
        print(f"# round {i + 1}: fastwarc+selectolax {fast[-1]:.0f}, warcio+lxml {lxml[-1]:.0f}, "
              f"curate 1 core {one[-1]:.0f}, 2 cores {two[-1]:.0f} pages/s", flush=True)
    _, big_rss = crawl(args.curate, big, 2, one_core=False)

    med = statistics.median
    print(f"crawl-dump on {os.path.basename(warc)}: {pages} pages, {html_mb:.1f} MB of HTML, {gz_mb:.1f} MB .warc.gz; "
          f"median of {args.rounds} alternating rounds")
    print(f"{'':34s} {'pages/s':>8s} {'HTML MB/s':>10s} {'WARC MB/s':>10s}")
    for name, xs in [("peer warcio + lxml (1 core)", lxml), ("peer FastWARC + selectolax (1 core)", fast),
                     ("curate crawl-dump, 1 core", one), ("curate crawl-dump, 2 cores", two)]:
        r = med(xs)
        print(f"{name:34s} {r:8.0f} {r * html_mb / pages:10.1f} {r * gz_mb / pages:10.1f}")
    ratios = [c / f for c, f in zip(one, fast)]
    print(f"ratio curate 1 core / FastWARC+selectolax: {med(ratios):.2f}x (rounds {min(ratios):.2f}..{max(ratios):.2f}; target 1.5x)")
    print(f"ratio curate 1 core / warcio+lxml:         {med([c / l for c, l in zip(one, lxml)]):.2f}x")
    print(f"ratio curate 2 cores / FastWARC+selectolax: {med([c / f for c, f in zip(two, fast)]):.2f}x")
    print(f"peak memory, 2 cores: {med(rss):.0f} MB at {pages} pages ({gz_mb:.0f} MB), "
          f"{big_rss:.0f} MB at {args.big_pages} pages ({os.path.getsize(big) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
