"""make bench-fetch: the demo crawl's images fetched from one local nginx by img2dataset and by
curate fetch, in alternating rounds of the same run, as images/s and peak memory.

The crawl is written as Common Crawl's dumps are (pages, no image bytes: synth-crawl
--images-apart), crawl-dump catalogs it, and the URLs curate would fetch (each missing
reference's best candidate, once) are the list both tools get. nginx (Debian's) serves the files
on a loopback address of its own, port 80: curate reaches the crawl's host names through
--resolve; img2dataset, which has no such option, gets the same paths under the address itself
(a second server block with the same files). Both obey robots.txt and opt-out headers (there are
none here); curate's per-host politeness is lifted (--per-host 64 --host-delay 0) as img2dataset
has none, and it runs one round (--rounds 1: the same list, no second candidates). img2dataset runs with --resize_mode no, output `files`, its default thread count and one
process per core; curate's time includes writing the WARC files and cataloging them.

Peak memory is read for 1/4, 1/2 and all of the URLs, so its growth with the number of URLs shows.
"""
import argparse
import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import data_dir, timed  # noqa: E402

ADDRESS = "127.77.250.1"
HOSTS = ["www.shapes-gallery.example", "cdn.shapes-gallery.example"]


def nginx(root, folder):
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fcgi;
  uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  types {{ image/jpeg jpg; image/png png; image/gif gif; image/webp webp; }}
  default_type application/octet-stream;
  keepalive_requests 100000;
  server {{ listen {ADDRESS}:80; server_name {' '.join(HOSTS)}; root {root}/$host; }}
  server {{ listen {ADDRESS}:80 default_server; root {root}; }}
}}
""")
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-p", folder], stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(os.path.join(folder, "nginx.pid")):
            return proc
        if proc.poll() is not None:
            sys.exit(f"nginx did not start: {open(os.path.join(folder, 'error.log')).read()[-500:]}")
        time.sleep(0.05)
    sys.exit("nginx did not start within 5 s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--curate", required=True)
    ap.add_argument("--img2dataset", required=True, help="the img2dataset command of its venv")
    ap.add_argument("--bench", help="curate-bench, for the URLSession transport's figure")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if os.getuid() != 0:
        sys.exit("bench-fetch serves the crawl's URLs on port 80 of a loopback address, which needs root")

    data = os.path.join(data_dir(), "fetch-demo")
    crawl, www = os.path.join(data, "crawl"), os.path.join(data, "www")
    base = os.path.join(data, "work")
    if not os.path.exists(os.path.join(base, "catalog.sqlite")):
        print(f"# generating {data} (once)", flush=True)
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run([args.curate, "synth-crawl", "--size", "demo", "--out", crawl, "--images-apart", www], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.curate, "crawl-dump", crawl + "/crawl.warc.gz", "--work", base], check=True, stdout=subprocess.DEVNULL)
    # The list: what curate's first round fetches (each missing reference's best candidate).
    db = sqlite3.connect(os.path.join(base, "catalog.sqlite"))
    urls = [row[0] for row in db.execute("""
        WITH next AS (SELECT c.ref_id, min(c.rank) AS rank FROM ref_candidates c JOIN refs r ON r.id = c.ref_id
                      WHERE r.status = 'missing' AND c.url LIKE 'http%' GROUP BY c.ref_id)
        SELECT DISTINCT c.url FROM next n JOIN ref_candidates c ON c.ref_id = n.ref_id AND c.rank = n.rank ORDER BY c.url""")]
    db.close()
    present = [u for u in urls if os.path.exists(os.path.join(www, u.split("://", 1)[1].split("?", 1)[0]))]

    folder = tempfile.mkdtemp(prefix="curate-bench-fetch-")
    server = nginx(www, folder)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}, {os.cpu_count()} cores; nginx 2 workers on {ADDRESS}:80; {len(urls)} URLs, {len(present)} of them on the server")
    pins = sum((["--resolve", f"{h}:80:{ADDRESS}"] for h in HOSTS), [])
    results = {"img2dataset": [], "curate": []}
    memory = {"img2dataset": {}, "curate": {}}
    try:
        for fraction in (4, 2, 1):
            part = urls[: len(urls) // fraction]
            listed = os.path.join(folder, f"urls-{fraction}.csv")
            with open(listed, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["url"])
                for u in part:
                    w.writerow([f"http://{ADDRESS}/" + u.split("://", 1)[1]])
            rounds = args.rounds if fraction == 1 else 1
            for r in range(rounds):
                out = os.path.join(folder, "img2dataset-out")
                shutil.rmtree(out, ignore_errors=True)
                wall, rss, _ = timed([args.img2dataset, "--url_list", listed, "--input_format", "csv", "--url_col", "url",
                                      "--output_format", "files", "--resize_mode", "no", "--processes_count", str(os.cpu_count()),
                                      "--output_folder", out, "--enable_wandb", "False"])
                images = sum(1 for name in os.listdir(out) if os.path.isdir(os.path.join(out, name))
                             for f in os.listdir(os.path.join(out, name)) if f.endswith((".jpg", ".png", ".webp", ".gif")))
                memory["img2dataset"][fraction] = max(memory["img2dataset"].get(fraction, 0), rss)
                if fraction == 1:
                    results["img2dataset"].append((wall, images))
                    print(f"round {r + 1} img2dataset: {images} images in {wall:.2f} s = {images / wall:.0f} images/s, peak {rss:.0f} MB", flush=True)

                work = os.path.join(folder, "curate-work")
                shutil.rmtree(work, ignore_errors=True)
                os.makedirs(work)
                shutil.copy(os.path.join(base, "catalog.sqlite"), os.path.join(work, "catalog.sqlite"))
                limit = [] if fraction == 1 else ["--limit", str(len(part))]
                wall, rss, stdout = timed([args.curate, "fetch", "--work", work, "--rounds", "1", "--per-host", "64", "--host-delay", "0",
                                           "--connections", "128"] + pins + limit)
                line = next(l for l in stdout.splitlines() if l.startswith("fetched "))
                fetched = int(line.split(": ", 1)[1].split(" image")[0])
                memory["curate"][fraction] = max(memory["curate"].get(fraction, 0), rss)
                if fraction == 1:
                    results["curate"].append((wall, fetched))
                    print(f"round {r + 1} curate fetch: {fetched} images in {wall:.2f} s = {fetched / wall:.0f} images/s, peak {rss:.0f} MB ({line})", flush=True)
        if args.bench:
            # The transport alone: URLSession (libcurl on Linux) against the same server and URLs, no
            # WARC, no catalog, nothing checked: what curate would start from with Foundation instead.
            listed = os.path.join(folder, "urls.txt")
            with open(listed, "w") as f:
                f.write("".join(f"http://{ADDRESS}/" + u.split("://", 1)[1] + "\n" for u in urls))
            for r in range(args.rounds):
                _, rss, stdout = timed([args.bench, "--url-session", listed, "128"])
                print(f"round {r + 1} {stdout.strip()}, peak {rss:.0f} MB", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)

    def best(name):
        return max(images / wall for wall, images in results[name])
    i2d, cur = best("img2dataset"), best("curate")
    print(f"img2dataset: {i2d:.0f} images/s (best of {args.rounds}); curate fetch: {cur:.0f} images/s; ratio {cur / i2d:.2f}x (target >= 2x)")
    for name in ("img2dataset", "curate"):
        m = memory[name]
        print(f"peak memory {name}: {m[4]:.0f} MB for 1/4 of the URLs, {m[2]:.0f} MB for 1/2, {m[1]:.0f} MB for all")


if __name__ == "__main__":
    main()
