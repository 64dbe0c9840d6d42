#!/usr/bin/env python3
"""crawl-dump against its peers, in the same run, on the same WARC: `make bench` calls this.

Input: the synthetic Common-Crawl-like WARC of ../shared/bench/peers/gen_warc.py (2,000 pages,
about 55 MB of .warc.gz), generated once into $PEERS_DATA; and the same generator at --big-pages
for the second memory figure.

Rounds alternate, so that this machine's drifting speed hits both sides alike:
  peer   warc_html.py --only e2e:fastwarc+selectolax,e2e:warcio+lxml (one process, one thread):
         reading the .warc.gz and pulling (src, alt) out of each page, keeping nothing
  (a)    curate-bench --crawl --pipeline-only 1 pinned to one core: curate's read + extract
         (WARC, HTTP, charsets, the HTML5 tokenizer, image references with URLs resolved, page
         sentences, image records probed and hashed), no catalog
  (b)    curate crawl-dump --threads 1 pinned to one core (taskset -c 0): the whole command,
         with the SQLite catalog, into a fresh work folder
  (c)    curate crawl-dump --threads 2 on both cores
Targets (issue #21): (a) >= 1.5x FastWARC + selectolax, (b) >= 1.0x, (c) >= 1.8x (b). Peak
memory is the command's maximum resident set size (from wait4), at two dump sizes. The CPU model
is printed with the figures.

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


def read_extract(bench, warc):
    """curate's read + extract on one core (curate-bench --crawl --pipeline-only 1), pages/s."""
    fd, out = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    subprocess.run(["taskset", "-c", "0", bench, "--crawl", warc, "--pipeline-only", "1", "--reps", "1", "--json", out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        rows = [json.loads(line) for line in f]
    os.remove(out)
    return next(r["pages_per_s"] for r in rows if r["stage"] == "curate-read+process")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--curate", default=".build/release/curate")
    ap.add_argument("--bench", default=".build/release/curate-bench")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--big-pages", type=int, default=8000)
    args = ap.parse_args()

    warc = ensure_warc(args.shared, 2000, "synth.warc.gz")
    big = ensure_warc(args.shared, args.big_pages, f"synth-{args.big_pages}.warc.gz")
    with open(warc + ".json") as f:
        meta = json.load(f)
    pages, html_mb, gz_mb = meta["pages"], meta["html_bytes"] / 1e6, os.path.getsize(warc) / 1e6
    print(f"# {cpu_model()}, {os.cpu_count()} CPUs", flush=True)

    fast, lxml, extract, one, two, rss = [], [], [], [], [], []
    for i in range(args.rounds):
        p = peers(args.shared, warc)
        fast.append(p["e2e:fastwarc+selectolax"]["pages_per_s"])
        lxml.append(p["e2e:warcio+lxml"]["pages_per_s"])
        extract.append(read_extract(args.bench, warc))
        w1, _ = crawl(args.curate, warc, 1, one_core=True)
        w2, m2 = crawl(args.curate, warc, 2, one_core=False)
        one.append(pages / w1)
        two.append(pages / w2)
        rss.append(m2)
        print(f"# round {i + 1}: fastwarc+selectolax {fast[-1]:.0f}, warcio+lxml {lxml[-1]:.0f}, curate read+extract {extract[-1]:.0f}, "
              f"crawl-dump 1 core {one[-1]:.0f}, 2 cores {two[-1]:.0f} pages/s", flush=True)
    _, big_rss = crawl(args.curate, big, 2, one_core=False)

    med = statistics.median
    print(f"crawl-dump on {os.path.basename(warc)}: {pages} pages, {html_mb:.1f} MB of HTML, {gz_mb:.1f} MB .warc.gz; "
          f"median of {args.rounds} alternating rounds; {cpu_model()}")
    print(f"{'':44s} {'pages/s':>8s} {'HTML MB/s':>10s} {'WARC MB/s':>10s}")
    for name, xs in [("peer warcio + lxml, read + extract (1 core)", lxml), ("peer FastWARC + selectolax, read + extract", fast),
                     ("(a) curate read + extract, 1 core", extract), ("(b) curate crawl-dump, 1 core", one),
                     ("(c) curate crawl-dump, 2 cores", two)]:
        r = med(xs)
        print(f"{name:44s} {r:8.0f} {r * html_mb / pages:10.1f} {r * gz_mb / pages:10.1f}")

    def ratio(label, xs, ys, target):
        rs = [x / y for x, y in zip(xs, ys)]
        print(f"{label}: {med(rs):.2f}x (rounds {min(rs):.2f}..{max(rs):.2f}; target {target})")
    ratio("(a) read + extract / FastWARC+selectolax  ", extract, fast, "1.5x, aiming at 2x")
    ratio("(b) crawl-dump 1 core / FastWARC+selectolax", one, fast, "1.0x")
    ratio("(c) crawl-dump 2 cores / 1 core           ", two, one, "1.8x")
    ratio("    crawl-dump 1 core / warcio+lxml       ", one, lxml, "-")
    print(f"peak memory, 2 cores: {med(rss):.0f} MB at {pages} pages ({gz_mb:.0f} MB), "
          f"{big_rss:.0f} MB at {args.big_pages} pages ({os.path.getsize(big) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
