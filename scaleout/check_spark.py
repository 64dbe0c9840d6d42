#!/usr/bin/env python3
"""The cluster check: the same crawl through one machine's commands and through Spark, compared.

    python3 scaleout/check_spark.py --curate .build/release/curate --work /tmp/spark-check \\
        --size sample --warc-files 8 --units 1,3,8 --standalone --faults

Writes the synthetic crawl as several WARC files, runs curate's single-machine commands on them
(one catalog), then curate_spark.py in local[2] mode for each unit count (and, with --standalone,
on a standalone cluster of one master and two workers on 127.0.0.1), and compares each run with
the single-machine one (compare_runs.py). With --faults: a curate task SIGKILLed mid-unit (retried
by Spark), a worker killed during a run (standalone), and a driver killed after the crawl and
started again (it resumes from the finished units). Prints one JSON line per step, with seconds;
exits 1 when a run differs or fails.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def say(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def run(command, **kwargs):
    started = time.time()
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit("check_spark: %s exited with %d" % (" ".join(command[:3]), proc.returncode))
    return proc, time.time() - started


def spark_env(args):
    env = dict(os.environ)
    env["PYSPARK_PYTHON"] = args.python
    env["PYSPARK_DRIVER_PYTHON"] = args.python
    env.setdefault("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")
    env["PATH"] = os.path.dirname(args.python) + ":" + env.get("PATH", "")
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


def submit_command(args, master, work, units, extra=()):
    return [os.path.join(os.path.dirname(args.python), "spark-submit"), "--master", master,
            "--conf", "spark.ui.enabled=false", "--conf", "spark.task.maxFailures=4",
            "--driver-java-options", "-Dlog4j2.rootLogger.level=warn",
            os.path.join(HERE, "curate_spark.py"), "--curate", args.curate, "--work", work, "--units", str(units),
            "--eval-images", os.path.join(args.work, "crawl", "eval"), "--detections", os.path.join(args.work, "crawl", "detections.jsonl"),
            "--shard-args", " ".join(SHARD_ARGS), *extra, *sorted(glob.glob(os.path.join(args.work, "crawl", "crawl-*.warc.gz")))]


# build-shards' options in both runs: text pairs, and shards small enough that there are several
# (set from --size in main: 40 samples for the sample crawl, 500 for the demo's).
SHARD_ARGS = ["--text-pairs", "0.25", "--shard-samples", "40"]


def phases(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"phase"')]


def compare(args, work, label, single="single"):
    proc = subprocess.run([sys.executable, os.path.join(HERE, "compare_runs.py"), os.path.join(args.work, single), work,
                           "--shards", os.path.join(args.work, single, "shards"), os.path.join(work, "shards")], capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("check_spark: %s differs from the single-machine run" % label)
    return result


def spark_run(args, master, units, label, extra=(), single="single"):
    work = os.path.join(args.work, label)
    shutil.rmtree(work, ignore_errors=True)
    proc, seconds = run(submit_command(args, master, work, units, extra), env=spark_env(args))
    result = compare(args, work, label, single)
    say(step=label, master=master, units=units, seconds=round(seconds, 1), same=result["same"],
        phases={p["phase"]: p["seconds"] for p in phases(proc.stdout)}, retried=retried(proc.stdout), failed_attempts=failed_attempts(work))
    return work


def retried(stdout):
    """Units whose result came from a second or later attempt, per phase."""
    out = {}
    for p in phases(stdout):
        if isinstance(p["result"], list):
            n = sum(1 for r in p["result"] if r.get("attempt", 0) > 0)
            if n:
                out[p["phase"]] = n
    return out


def failed_attempts(work):
    return sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(work, "failed-attempts", "*.json")))


# What the units and the engine exchange, by file: the input of Spark's joins and reductions.
EXCHANGED = ["offers.jsonl", "wants.jsonl", "link-imports.jsonl", "filter/partials.jsonl", "filter/globals.jsonl", "filter/candidates.jsonl",
             "filter/near.jsonl", "ids.jsonl", "global-ids.jsonl", "weak/contexts.jsonl", "weak/hits.jsonl", "weak/pairs.jsonl",
             "shards/samples.jsonl", "shards/textpairs.jsonl"]


def exchanged(single, work):
    """Bytes of each exchanged file over all units, per image and per pair of the crawl."""
    import sqlite3
    db = sqlite3.connect(os.path.join(single, "catalog.sqlite"))
    images, pairs, pages, sentences = (db.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in ("images", "pairs", "pages", "sentences"))
    db.close()
    files = {}
    for name in EXCHANGED:
        files[name] = sum(os.path.getsize(p) for p in glob.glob(os.path.join(work, "units", "*", name)))
    files["weak/queries/ (every unit reads them)"] = sum(os.path.getsize(p) for p in glob.glob(os.path.join(work, "weak", "queries", "*.jsonl")))
    total = sum(files.values())
    return {"units": len(glob.glob(os.path.join(work, "units", "u*"))), "images": images, "pairs": pairs, "pages": pages, "sentences": sentences,
            "bytes": files, "total_bytes": total, "bytes_per_image": round(total / max(images, 1)), "bytes_per_pair": round(total / max(pairs, 1)),
            "bytes_per_page": round(total / max(pages, 1))}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Standalone:
    """A standalone cluster on 127.0.0.1: one master, two workers with one core each."""

    def __init__(self, args):
        self.args, self.env = args, spark_env(args)
        self.spark_class = os.path.join(os.path.dirname(args.python), "spark-class")
        self.port = free_port()
        self.master = "spark://127.0.0.1:%d" % self.port
        self.logs = os.path.join(args.work, "cluster-logs")
        os.makedirs(self.logs, exist_ok=True)
        self.processes = {}

    def start(self, name, *command):
        log = open(os.path.join(self.logs, name + ".log"), "w")
        self.processes[name] = subprocess.Popen([self.spark_class, *command], stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                                start_new_session=True)

    def __enter__(self):
        self.start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(free_port()))
        time.sleep(4)
        for k in (1, 2):
            self.start("worker%d" % k, "org.apache.spark.deploy.worker.Worker", self.master, "--host", "127.0.0.1", "--cores", "1",
                       "--memory", "1g", "--webui-port", str(free_port()), "--work-dir", os.path.join(self.args.work, "cluster-work%d" % k))
        time.sleep(6)
        return self

    def kill(self, name):
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def __exit__(self, *exc):
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--curate", required=True)
    parser.add_argument("--python", default="/tmp/curate-spark-venv/bin/python3", help="the venv's python that has pyspark")
    parser.add_argument("--work", required=True)
    parser.add_argument("--size", default="sample")
    parser.add_argument("--pages", type=int)
    parser.add_argument("--warc-files", type=int, default=8)
    parser.add_argument("--units", default="1,3,8")
    parser.add_argument("--standalone", action="store_true")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--metaclip", action="store_true", help="also MetaCLIP's rules (language, matching, balancing) on 3 units")
    args = parser.parse_args()
    args.curate, args.work = os.path.abspath(args.curate), os.path.abspath(args.work)
    SHARD_ARGS[-1] = "40" if args.size == "sample" else "500"
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    crawl = os.path.join(args.work, "crawl")
    synth = [args.curate, "synth-crawl", "--size", args.size, "--out", crawl, "--warc-files", str(args.warc_files)]
    if args.pages:
        synth += ["--pages", str(args.pages)]
    run(synth)
    dumps = sorted(glob.glob(os.path.join(crawl, "crawl-*.warc.gz")))
    single = os.path.join(args.work, "single")
    _, crawl_seconds = run([args.curate, "crawl-dump", "--work", single, "--threads", "2", *dumps])
    _, filter_seconds = run([args.curate, "filter", "--work", single, "--eval-images", os.path.join(crawl, "eval")])
    _, shard_seconds = run([args.curate, "build-shards", "--work", single, "--detections", os.path.join(crawl, "detections.jsonl"), *SHARD_ARGS])
    say(step="single", seconds=round(crawl_seconds + filter_seconds + shard_seconds, 1), crawl=round(crawl_seconds, 1), filter=round(filter_seconds, 1),
        build_shards=round(shard_seconds, 1), dumps=len(dumps))

    for units in [int(u) for u in args.units.split(",")]:
        # The largest unit count also labels the near-duplicate graph by rounds of joins (the way of large graphs).
        # (On the sample crawl only: on the demo's it is slow, a job per round, and the figures are for the usual way.)
        extra = ("--collect-edges-below", "0") if args.size == "sample" and units == max(int(u) for u in args.units.split(",")) else ()
        work = spark_run(args, "local[2]", units, "local-%d" % units, extra=extra)
    say(step="exchanged", **exchanged(single, work))

    if args.metaclip:
        # MetaCLIP's curation: the entries' matches are counted per unit, summed by the driver,
        # and balanced with the sums; decisions and shards must be one catalog's. The metadata is
        # built once from the single catalog and named by an absolute path (a unit's work folder
        # is its own).
        metadata = os.path.join(args.work, "metaclip-metadata.txt")
        run([args.curate, "metadata", "--work", single, "--out", metadata])
        rules = os.path.join(args.work, "metaclip.toml")
        text = open(os.path.join(HERE, "..", "Sources", "Filters", "Rules", "metaclip.toml")).read()
        with open(rules, "w") as f:
            f.write(text.replace('metadata = "metaclip-metadata.txt"', 'metadata = %s' % json.dumps(metadata)))
        metaclip_single = os.path.join(args.work, "single-metaclip")
        shutil.rmtree(metaclip_single, ignore_errors=True)
        run([args.curate, "crawl-dump", "--work", metaclip_single, "--threads", "2", *dumps])
        run([args.curate, "filter", "--work", metaclip_single, "--rules", rules, "--eval-images", os.path.join(crawl, "eval")])
        run([args.curate, "build-shards", "--work", metaclip_single, "--detections", os.path.join(crawl, "detections.jsonl"), *SHARD_ARGS])
        spark_run(args, "local[2]", 3, "metaclip-3", extra=("--rules", rules), single="single-metaclip")

    if args.faults:
        # A curate task SIGKILLs itself at its 3rd write, in the middle of a unit's decisions; Spark retries it.
        for label, chaos in [("chaos-crawl", "crawl:u00002:10"), ("chaos-task", "filter-decide:u00001:3")]:
            work = spark_run(args, "local[2,4]", 3, label, extra=("--chaos", chaos))
            if not failed_attempts(work):
                raise SystemExit("check_spark: %s: no attempt was killed (the fault point was not reached)" % label)
        # The driver killed once the crawl is done, then started again: the crawl is not redone.
        work = os.path.join(args.work, "driver-restart")
        command = submit_command(args, "local[2]", work, 3)
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=spark_env(args), start_new_session=True)
        for line in first.stdout:
            if line.startswith('{"phase": "crawl"'):
                os.killpg(first.pid, signal.SIGKILL)
                break
        first.wait()
        proc, seconds = run(command, env=spark_env(args))
        crawl_phase = [p for p in phases(proc.stdout) if p["phase"] == "crawl"][0]
        resumed = all(unit.get("already_done") for unit in crawl_phase["result"])
        result = compare(args, work, "driver-restart")
        say(step="driver-restart", resumed_units=sum(1 for u in crawl_phase["result"] if u.get("already_done")), units=3,
            seconds=round(seconds, 1), same=result["same"])
        if not resumed:
            raise SystemExit("check_spark: the restarted driver crawled a unit again")

    if args.standalone:
        with Standalone(args) as cluster:
            spark_run(args, cluster.master, 8, "standalone-8")
            if args.faults:
                # A worker killed while the units are crawled: its tasks go to the other worker.
                work = os.path.join(args.work, "standalone-worker-killed")
                log = open(os.path.join(args.work, "standalone-worker-killed.log"), "w")
                proc = subprocess.Popen(submit_command(args, cluster.master, work, 8), stdout=subprocess.PIPE, stderr=log,
                                        text=True, env=spark_env(args))
                time.sleep(12)
                cluster.kill("worker2")
                out, _ = proc.communicate()
                if proc.returncode != 0:
                    raise SystemExit("check_spark: the run with a killed worker failed (its driver's log: %s)" % log.name)
                result = compare(args, work, "standalone-worker-killed")
                say(step="standalone-worker-killed", same=result["same"], phases={p["phase"]: p["seconds"] for p in phases(out)},
                    retried=retried(out))
    say(step="done", same=True)


if __name__ == "__main__":
    main()
