"""curate fetch on Spark against one machine's: the sample crawl written as Common Crawl's dumps
are (pages without images, 8 WARC files; the images served by Debian's nginx on a loopback
address of its own, port 80), then

  single machine: crawl-dump, then curate fetch --rounds 1 (each missing reference's best URL);
  Spark local[2]: curate_spark.py with 3 crawl units and --fetch, the URLs grouped by host into
                  8 groups (the crawl's two hosts fall in two of them: two fetch units), the fetched
                  files crawled as more units and linked to the pages;
  Spark again:    the same work folder (a driver that died and was restarted): nothing fetched twice.

Compared: every URL's fetch outcome, and every resolved reference (page URL, position, image
SHA-256). Prints one JSON line per step; exits non-zero when they differ. Needs root (port 80).
SparkTests runs it.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ADDRESS = "127.77.251.1"
HOSTS = ["www.shapes-gallery.example", "cdn.shapes-gallery.example"]


def run(command, **kwargs):
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit("check_spark_fetch: %s exited with %d" % (" ".join(command[:3]), proc.returncode))
    return proc


def nginx(root, folder):
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 512; }}
http {{
  access_log {folder}/access.log;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fcgi;
  uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  types {{ image/jpeg jpg; image/png png; image/gif gif; image/webp webp; }}
  server {{ listen {ADDRESS}:80; root {root}/$host; }}
}}
""")
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-p", folder], stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(os.path.join(folder, "nginx.pid")):
            return proc
        if proc.poll() is not None:
            raise SystemExit("check_spark_fetch: nginx did not start: %s" % open(os.path.join(folder, "error.log")).read()[-500:])
        time.sleep(0.05)
    raise SystemExit("check_spark_fetch: nginx did not start within 5 s")


def outcomes(catalogs):
    found = {}
    for path in catalogs:
        db = sqlite3.connect(path)
        for url, outcome in db.execute("SELECT url, outcome FROM fetch_outcomes"):
            if url in found:
                raise SystemExit("check_spark_fetch: %s answered twice" % url)
            found[url] = outcome
        db.close()
    return found


def resolved(catalogs):
    refs = set()
    for path in catalogs:
        db = sqlite3.connect(path)
        refs |= set(db.execute("SELECT p.url, r.position, i.sha256 FROM refs r JOIN pages p ON p.id = r.page_id JOIN images i ON i.id = r.image_id"))
        db.close()
    return refs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--curate", required=True)
    parser.add_argument("--python", default="/tmp/curate-spark-venv/bin/python3")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    curate, top = os.path.abspath(args.curate), os.path.abspath(args.work)
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(top)
    crawl, www = os.path.join(top, "crawl"), os.path.join(top, "www")
    run([curate, "synth-crawl", "--size", "sample", "--out", crawl, "--warc-files", "8", "--images-apart", www])
    dumps = sorted(glob.glob(os.path.join(crawl, "crawl-*.warc.gz")))
    server = nginx(www, top)
    fetch_args = ["--user-agent", "curate-tests/1.0 (+mailto:tests@curate.invalid)", "--per-host", "8", "--host-delay", "0"]
    for host in HOSTS:
        fetch_args += ["--resolve", "%s:80:%s" % (host, ADDRESS)]
    try:
        single = os.path.join(top, "single")
        run([curate, "crawl-dump", "--work", single, *dumps])
        run([curate, "fetch", "--work", single, "--rounds", "1", *fetch_args])
        want_outcomes, want_refs = outcomes([single + "/catalog.sqlite"]), resolved([single + "/catalog.sqlite"])
        print(json.dumps({"step": "single", "urls": len(want_outcomes), "resolved": len(want_refs)}), flush=True)

        env = dict(os.environ, PYSPARK_PYTHON=args.python, PYSPARK_DRIVER_PYTHON=args.python, SPARK_LOCAL_IP="127.0.0.1",
                   PATH=os.path.dirname(args.python) + ":" + os.environ.get("PATH", ""))
        env.setdefault("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
        work = os.path.join(top, "spark")
        command = [os.path.join(os.path.dirname(args.python), "spark-submit"), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
                   "--driver-java-options", "-Dlog4j2.rootLogger.level=warn", os.path.join(HERE, "curate_spark.py"),
                   "--curate", curate, "--work", work, "--units", "3", "--fetch-units", "8", "--stop-after", "link",
                   "--fetch", " ".join("'%s'" % a if " " in a else a for a in fetch_args), *dumps]
        for label in ("spark", "spark-again"):
            started = time.time()
            proc = run(command, env=env)
            phases = {p["phase"]: p for p in (json.loads(l) for l in proc.stdout.splitlines() if l.startswith('{"phase"'))}
            fetch_units = sorted(glob.glob(os.path.join(work, "fetch", "x*", "catalog.sqlite")))
            got_outcomes = outcomes(fetch_units)
            page_units = sorted(glob.glob(os.path.join(work, "units", "u*", "catalog.sqlite")))
            got_refs = resolved(page_units)
            same = got_outcomes == want_outcomes and got_refs == want_refs and len(fetch_units) == 2
            print(json.dumps({"step": label, "same": same, "seconds": round(time.time() - started, 1), "fetch_units": len(fetch_units),
                              "urls": len(got_outcomes), "resolved": len(got_refs), "fetch_seconds": phases.get("fetch", {}).get("seconds")}), flush=True)
            if not same:
                diff = {k: (want_outcomes.get(k), got_outcomes.get(k)) for k in set(want_outcomes) | set(got_outcomes) if want_outcomes.get(k) != got_outcomes.get(k)}
                sys.stderr.write("outcomes that differ: %s\nreferences only single: %s\nonly spark: %s\n" % (
                    list(diff.items())[:5], sorted(want_refs - got_refs)[:5], sorted(got_refs - want_refs)[:5]))
                raise SystemExit("check_spark_fetch: %s differs from the single-machine run" % label)
        # The second run fetched nothing: nginx's log has each image URL once.
        requests = [line.split('"')[1].split()[1] for line in open(os.path.join(top, "access.log")) if '"GET ' in line]
        images = [r for r in requests if r != "/robots.txt"]
        single_requests = len(want_outcomes)
        print(json.dumps({"step": "done", "image_requests": len(images), "expected": 2 * single_requests}), flush=True)
        if len(images) != 2 * single_requests:
            raise SystemExit("check_spark_fetch: %d image requests, expected %d (each URL once by each machine)" % (len(images), 2 * single_requests))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


if __name__ == "__main__":
    main()
