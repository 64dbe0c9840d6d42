#!/usr/bin/env python3
"""curate on Apache Spark: crawl-dump and filter over units, with the global figures merged by Spark.

    spark-submit scaleout/curate_spark.py --curate /opt/curate/bin/curate --work /shared/work \\
        --units 8 /shared/crawl/*.warc.gz

The driver is thin: it lists the dump files, cuts them into units (consecutive files), and hands
each unit to an executor, which runs the curate binary on it (`curate task JSON`, one JSON line
back; a non-zero exit fails the Spark task, and Spark retries it). What depends on the whole crawl
is merged here by Spark from the units' partial results (joins, reduceByKey, a histogram) and
written back into each unit's folder. Inputs and the work folder must be paths that every executor
sees (NFS, Lustre, a FUSE mount of object storage). README.md, "Running on a cluster", has the
phases, what each shuffles, and the rule that makes the answer independent of the number of units.

Re-running the driver (after it was killed, or with the same inputs) resumes: a unit whose crawl
finished is not crawled again, and every other phase is deterministic and writes whole files.
"""
import argparse
import glob
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

from pyspark import SparkContext, SparkFiles, TaskContext


# MARK: running curate on an executor

def curate_path(options):
    """The binary: shipped with the job (--ship-binary, SparkContext.addFile) or the same path everywhere."""
    return SparkFiles.get(os.path.basename(options["curate"])) if options["ship"] else options["curate"]


def run_task(options, spec, stdin_lines=None):
    """Runs `curate task SPEC` with a clean environment; returns its result (the last JSON line).
    A failure raises, which fails the Spark task (Spark retries it up to spark.task.maxFailures)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin"}
    context = TaskContext.get()
    chaos = options.get("chaos")
    if chaos and context is not None and context.attemptNumber() == 0:
        task, unit, points = chaos.split(":")
        if spec.get("task") == task and spec.get("unit") == unit:
            env["CURATE_FAULT"] = "exit-after:" + points  # the first attempt SIGKILLs itself mid-unit
    binary = curate_path(options)
    if options["ship"]:
        os.chmod(binary, 0o755)
    # A unit held by another attempt (a speculative twin, or the curate of an executor that died
    # while its process lives on and finishes) is waited for, not failed: its outputs are whole
    # files of the same bytes, and the crawl task then finds the unit done.
    for _ in range(240):
        proc = subprocess.run([binary, "task", json.dumps(spec, sort_keys=True)], env=env, capture_output=True, text=True,
                              input="\n".join(stdin_lines) + "\n" if stdin_lines is not None else None)
        if proc.returncode == 0 or "is in use by another curate process" not in proc.stdout:
            break
        time.sleep(5)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0:
        detail = lines[-1] if lines else proc.stderr.strip()[-400:]
        if "work" in spec and context is not None:
            # One file per failed attempt (executors share no log): what died, where, how.
            record = {"task": spec["task"], "unit": spec.get("unit"), "attempt": context.attemptNumber(), "exit": proc.returncode, "detail": detail}
            write_whole(os.path.join(spec["work"], "failed-attempts", "%s-%s-%d.json" % (spec["task"], spec.get("unit"), context.attemptNumber())),
                        [json.dumps(record, sort_keys=True)])
        raise RuntimeError("curate task %s on %s exited with %d: %s" % (spec.get("task"), spec.get("unit", "-"), proc.returncode, detail))
    return lines


def result_of(lines):
    result = json.loads(lines[-1])
    if not result.get("ok"):
        raise RuntimeError("curate task failed: %s" % result.get("error"))
    return result


def piped(options, spec):
    """A partition's lines through one `curate task SPEC` (on its stdin): the JSON lines it writes
    before its answer."""
    def run(partition):
        batch = list(partition)
        if not batch:
            return []
        out = run_task(options, spec, stdin_lines=batch)
        result_of(out)
        return [json.loads(line) for line in out[:-1]]
    return run


def write_whole(path, lines):
    """Writes a file under a temporary name and renames it: never seen half written."""
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, ".curate-tmp-%d-%s" % (os.getpid(), os.path.basename(path)))
    with open(temporary, "w") as out:
        for line in lines:
            out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.rename(temporary, path)


# MARK: the phases

def units_of(dumps, count):
    """Consecutive dump files per unit, as even as the count allows (unit k: files k*n/count ...)."""
    count = max(1, min(count, len(dumps)))
    return [("u%05d" % k, dumps[k * len(dumps) // count:(k + 1) * len(dumps) // count]) for k in range(count)]


def each_unit(sc, units, body):
    """Runs body(unit) for every unit, one Spark task each; returns the results in unit order,
    each with the attempt that gave it (0: the first)."""
    def attempt(unit):
        result = body(unit)
        result["attempt"] = TaskContext.get().attemptNumber()
        return result
    return sc.parallelize(units, len(units)).map(attempt).collect()


def write_per_unit(sc, work, units, keyed_lines, name):
    """keyed_lines: an RDD of (unit, line). Writes WORK/units/U/NAME for every unit (empty when none)."""
    names = sc.parallelize([(u, None) for u in units], len(units))
    grouped = names.cogroup(keyed_lines, len(units))

    def write(item):
        unit, (_, lines) = item
        write_whole(os.path.join(work, "units", unit, name), sorted(lines))
        return unit
    return grouped.map(write).collect()


def lines_of(sc, paths):
    """The JSON lines of the units' files, in as many partitions as the cluster has cores (one
    per file would make every later shuffle as many tasks as there are units)."""
    return sc.textFile(",".join(paths)).coalesce(sc.defaultParallelism).filter(lambda line: line.strip()).map(json.loads)


def fetch(sc, options, work, names, fetch_args, fetch_units, threads):
    """curate fetch across the cluster: each unit lists the URLs its missing references would
    fetch first; the engine groups them by host (a stable hash, so one host's URLs are in one
    fetch unit and its politeness holds there) and runs one `fetch` task per group into
    WORK/fetch/xNNNNN/. Returns the fetch units and their WARC files, to crawl as units."""
    each_unit(sc, names, lambda u: result_of(run_task(options, {"task": "fetch-wants", "work": work, "unit": u})))
    wants = lines_of(sc, [os.path.join(work, "units", u, "fetch-wants.jsonl") for u in names])
    groups = max(1, fetch_units)

    def group_of(host):
        return int(hashlib.sha256(host.encode()).hexdigest()[:8], 16) % groups
    grouped = dict(wants.map(lambda w: (group_of(w["host"]), w["url"])).distinct().groupByKey().mapValues(sorted).collect())
    # A fetch unit of an earlier run stays a unit when nothing is left to fetch in it (a driver
    # restarted after the link: its pages' references resolve, so they want nothing more).
    folder = os.path.join(work, "fetch")
    earlier = {int(n[1:]) for n in (os.listdir(folder) if os.path.isdir(folder) else []) if len(n) == 6 and n[0] == "x" and n[1:].isdigit()}
    fetch_names = []
    for group in sorted(set(grouped) | earlier):
        name = "x%05d" % group
        write_whole(os.path.join(folder, name + ".urls"), grouped.get(group, []))
        fetch_names.append(name)
    if not fetch_names:
        return []
    results = each_unit(sc, fetch_names, lambda u: result_of(run_task(options, {
        "task": "fetch", "work": work, "unit": u, "urls": os.path.join(work, "fetch", u + ".urls"), "args": fetch_args, "threads": threads})))
    return [(r["unit"], r["files"]) for r in results if r["files"]]


def link(sc, options, work, names):
    """Each unit's wanted URL keys joined with the other units' offers: redirects, then images at the
    wanted keys and at the redirects' targets. The offers (every image URL of the crawl) are
    filtered where they are read by the wanted keys (usually few: a broadcast), then joined."""
    offers = lines_of(sc, [os.path.join(work, "units", u, "offers.jsonl") for u in names])
    wants = lines_of(sc, [os.path.join(work, "units", u, "wants.jsonl") for u in names]).map(lambda w: (w["key"], w["unit"])).cache()
    wanted = sc.broadcast(set(wants.keys().distinct().collect()))
    redirects = offers.filter(lambda o: o["kind"] == "redirect" and o["key"] in wanted.value).map(lambda o: (o["key"], o))
    wanted_redirects = wants.join(redirects).filter(lambda kv: kv[1][1]["unit"] != kv[1][0]).cache()
    targets = wanted_redirects.map(lambda kv: (kv[1][1]["target_key"], kv[1][0]))
    all_wants = wants.union(targets).distinct()
    reachable = sc.broadcast(set(all_wants.keys().collect()))
    images = offers.filter(lambda o: o["kind"] == "image" and o["key"] in reachable.value).map(lambda o: (o["key"], o))
    wanted_images = all_wants.join(images).filter(lambda kv: kv[1][1]["unit"] != kv[1][0])
    imports = wanted_redirects.union(wanted_images).map(lambda kv: (kv[1][0], json.dumps(kv[1][1], sort_keys=True))).distinct()
    write_per_unit(sc, work, names, imports, "link-imports.jsonl")
    return each_unit(sc, names, lambda u: result_of(run_task(options, {
        "task": "link", "work": work, "unit": u, "imports": os.path.join(work, "units", u, "link-imports.jsonl")})))


def merge_partials(sc, work, names):
    """The filter's global figures from every unit's partials, joined back to the units holding
    each image, text and gram (globals.jsonl)."""
    partials = lines_of(sc, [os.path.join(work, "units", u, "filter", "partials.jsonl") for u in names]).cache()
    images = partials.filter(lambda p: p["t"] == "image")
    unit_shas = images.map(lambda p: (p["sha"], p["unit"])).distinct()
    texts = partials.filter(lambda p: p["t"] == "text")
    distinct_texts = texts.map(lambda p: (p["key"], p["sha"])).distinct()
    per_sha = distinct_texts.map(lambda kv: (kv[1], 1)).reduceByKey(lambda a, b: a + b)
    per_key = distinct_texts.map(lambda kv: (kv[0], 1)).reduceByKey(lambda a, b: a + b)
    pairs = images.map(lambda p: (p["sha"], p["n"])).reduceByKey(lambda a, b: a + b)
    out = unit_shas.join(per_sha).map(lambda kv: (kv[1][0], {"t": "texts_per_image", "sha": kv[0], "n": kv[1][1]}))
    out = out.union(unit_shas.join(pairs).map(lambda kv: (kv[1][0], {"t": "pairs_per_image", "sha": kv[0], "n": kv[1][1]})))
    unit_keys = texts.map(lambda p: (p["key"], p["unit"])).distinct()
    out = out.union(unit_keys.join(per_key).map(lambda kv: (kv[1][0], {"t": "images_per_text", "key": kv[0], "n": kv[1][1]})))
    blocked = partials.filter(lambda p: p["t"] == "blocked").map(lambda p: (p["sha"], (p["rule"], p["rank"], p["why"])))
    first_hit = blocked.map(lambda kv: ((kv[0], kv[1][0]), kv[1][1:])).reduceByKey(min).map(lambda kv: (kv[0][0], (kv[0][1],) + kv[1]))
    out = out.union(unit_shas.join(first_hit).map(lambda kv: (kv[1][0], {"t": "blocked", "sha": kv[0], "rule": kv[1][1][0],
                                                                            "rank": kv[1][1][1], "why": kv[1][1][2]})))
    grams = partials.filter(lambda p: p["t"] == "gram")
    gram_totals = grams.map(lambda p: (p["gram"], p["n"])).reduceByKey(lambda a, b: a + b).cache()
    histogram = sorted(gram_totals.map(lambda kv: (kv[1], 1)).reduceByKey(lambda a, b: a + b).collect())
    unit_grams = grams.map(lambda p: (p["gram"], p["unit"])).distinct()
    out = out.union(unit_grams.join(gram_totals).map(lambda kv: (kv[1][0], {"t": "gram", "gram": kv[0], "n": kv[1][1]})))
    out = out.union(sc.parallelize([(u, {"t": "gram_histogram", "count": c, "n": n}) for u in names for c, n in histogram]))
    # MetaCLIP's matches per metadata entry: summed over the units, and every unit gets every sum
    # (balancing needs the whole distribution to choose t).
    entry_totals = sorted(partials.filter(lambda p: p["t"] == "entry_count").map(lambda p: ((p["rule"], p["n"]), p["count"]))
                          .reduceByKey(lambda a, b: a + b).collect())
    out = out.union(sc.parallelize([(u, {"t": "entry_count", "rule": r, "n": e, "count": c}) for u in names for (r, e), c in entry_totals]))
    write_per_unit(sc, work, names, out.map(lambda kv: (kv[0], json.dumps(kv[1], sort_keys=True))), os.path.join("filter", "globals.jsonl"))
    return {"grams": sum(n for _, n in histogram), "metadata_entries": len(entry_totals)}


def merge_candidates(sc, options, work, names, radius, max_color):
    """Near-duplicates across units: candidates shuffled by hash block, each group's pairs confirmed
    by `curate task near-pairs`, each image's best neighbour kept (near.jsonl)."""
    lines = sc.textFile(",".join(os.path.join(work, "units", u, "filter", "candidates.jsonl") for u in names)).coalesce(sc.defaultParallelism) \
        .filter(lambda l: l.strip())
    # The same image in two units is the same candidate (its figures are global): once.
    candidates = lines.map(json.loads).map(lambda c: (c["candidate"]["sha256"], c)).reduceByKey(lambda a, b: a).cache()
    # The shuffle by block carries (SHA-256, pHash) only. Within a group, pairs of an exact member
    # and another member whose pHashes are within the radius are the candidate pairs (a cheap
    # pre-filter on 64-bit integers); only those pairs' candidates are joined back in, and curate
    # confirms each pair (distance and colour) with the rule's code.
    keyed = candidates.flatMap(lambda kv: [(k, ("e", kv[0], kv[1]["candidate"]["phash"])) for k in kv[1]["exact"]]
                               + [(k, ("p", kv[0], kv[1]["candidate"]["phash"])) for k in kv[1]["probes"]])

    def pairs_of(members):
        members = list(members)
        for role, a, code in members:
            if role != "e":
                continue
            for _, b, other in members:
                if b != a and bin(code ^ other).count("1") <= radius:
                    yield (a, b) if a < b else (b, a)

    pairs = keyed.groupByKey().flatMap(lambda kv: pairs_of(kv[1])).distinct()
    full = candidates.mapValues(lambda c: c["candidate"])
    joined = pairs.join(full).map(lambda kv: (kv[1][0], (kv[0], kv[1][1]))).join(full) \
        .map(lambda kv: json.dumps({"exact": [kv[1][0][1]], "probes": [kv[1][1]]}, sort_keys=True))
    edges = joined.mapPartitions(piped(options, {"task": "near-pairs", "radius": radius, "max_color_distance": max_color})) \
        .map(lambda e: (e["a"], e["b"])).distinct().cache()
    labels, rounds = components_of(sc, edges, options.get("collect_edges_below", 5_000_000))
    components = labels.map(lambda kv: (kv[0], kv[1])).join(candidates.mapValues(lambda c: c["candidate"])) \
        .map(lambda kv: (kv[1][0], kv[1][1])).groupByKey() \
        .map(lambda kv: json.dumps({"candidates": sorted(kv[1], key=lambda c: c["sha256"])}, sort_keys=True))
    near = components.mapPartitions(piped(options, {"task": "near-greedy", "radius": radius, "max_color_distance": max_color})) \
        .map(lambda n: (n["sha"], json.dumps(n, sort_keys=True))).cache()
    unit_shas = lines_of(sc, [os.path.join(work, "units", u, "filter", "partials.jsonl") for u in names]) \
        .filter(lambda p: p["t"] == "image").map(lambda p: (p["sha"], p["unit"])).distinct()
    write_per_unit(sc, work, names, unit_shas.join(near).map(lambda kv: kv[1]), os.path.join("filter", "near.jsonl"))
    return {"edges": edges.count(), "rounds": rounds, "near_duplicates": near.count()}


def components_of(sc, edges, collect_below=5_000_000):
    """The connected components of the near-duplicate graph: (image, smallest SHA-256 it reaches).
    A graph of fewer than `collect_below` edges (near-duplicates are a small share of a crawl) is
    labelled by union-find in the driver; a larger one by rounds of min-label propagation, each a
    join (as many rounds as the widest component is wide)."""
    count = edges.count()
    if count < collect_below:
        parent = {}

        def root(v):
            while parent.setdefault(v, v) != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v
        for a, b in edges.collect():
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        return sc.parallelize([(v, root(v)) for v in list(parent)], sc.defaultParallelism), 0
    both = edges.flatMap(lambda e: [e, (e[1], e[0])]).cache()
    labels = both.keys().distinct().map(lambda v: (v, v)).cache()
    rounds = 0
    while True:
        rounds += 1
        spread = both.join(labels).map(lambda kv: (kv[1][0], kv[1][1])).union(labels).reduceByKey(min)
        spread.localCheckpoint()  # marks it (PySpark returns None): each round starts from the last, not from the edges
        changed = spread.join(labels).filter(lambda kv: kv[1][0] != kv[1][1]).count()
        labels = spread
        if changed == 0:
            return labels, rounds


def number(sc, options, work, names):
    """One catalog's numbers for every unit: offsets of its pages, references, pairs and sentences
    (the rows of the units before it), and each image's number (its first capture over the units in
    order), first URL and first reference's page (global-ids.jsonl)."""
    each_unit(sc, names, lambda u: result_of(run_task(options, {"task": "ids", "work": work, "unit": u})))
    index = {u: k for k, u in enumerate(names)}
    lines = lines_of(sc, [os.path.join(work, "units", u, "ids.jsonl") for u in names]).cache()
    counts = dict(lines.filter(lambda l: l["t"] == "counts").map(lambda l: (l["unit"], l["counts"])).collect())
    offsets, running = {}, {"pages": 0, "refs": 0, "pairs": 0, "sentences": 0}
    for u in names:
        offsets[u] = dict(running)
        for key in running:
            running[key] += counts[u][key]
    captured = lines.filter(lambda l: l["t"] == "captured").map(lambda l: (l["sha"], ((index[l["unit"]], l["local"]), l.get("url") or "")))
    first = captured.reduceByKey(min).sortBy(lambda kv: kv[1][0]).zipWithIndex().map(lambda x: (x[0][0], (x[1] + 1, x[0][1][1])))
    first_ref = lines.filter(lambda l: l["t"] == "first_ref").map(lambda l: (l["sha"], (l["ref"] + offsets[l["unit"]]["refs"], l.get("page_url") or ""))) \
        .reduceByKey(min)
    holds = lines.filter(lambda l: l["t"] in ("first_ref", "holds", "captured")).map(lambda l: (l["sha"], l["unit"])).distinct()
    numbered = holds.join(first).leftOuterJoin(first_ref).map(lambda kv: (kv[1][0][0], json.dumps(
        {"t": "image", "sha": kv[0], "id": kv[1][0][1][0], "url": kv[1][0][1][1], "page_url": kv[1][1][1] if kv[1][1] else ""}, sort_keys=True)))
    numbered = numbered.union(sc.parallelize([(u, json.dumps({"t": "offsets", "counts": offsets[u]}, sort_keys=True)) for u in names]))
    write_per_unit(sc, work, names, numbered, "global-ids.jsonl")
    return {"rows": running, "images": first.count()}


def merge_contexts(a, b):
    return {"sha": a["sha"], "image": a["image"], "url": a["url"], "alt": a["alt"] or b["alt"], "names": a["names"] + b["names"],
            "refs": a["refs"] + b["refs"]}


def weak_pairs(sc, options, work, names, weak):
    """µ-VLA over units: the kept images' contexts merged by SHA-256 and tagged; BM25's figures
    summed over the units; each unit's best k sentences per image, the best k over all kept."""
    each_unit(sc, names, lambda u: result_of(run_task(options, {"task": "weak-contexts", "work": work, "unit": u})))
    index = {u: k for k, u in enumerate(names)}
    paths = [os.path.join(work, "units", u, "weak", "contexts.jsonl") for u in names]
    contexts = sc.union([sc.textFile(p).filter(lambda l: l.strip()).map(json.loads).map(lambda c, u=u: (c["sha"], (c, index[u]))) for u, p in zip(names, paths)]) \
        .coalesce(sc.defaultParallelism)
    owners = contexts.map(lambda kv: (kv[0], kv[1][1])).reduceByKey(min)
    merged = contexts.map(lambda kv: (kv[0], kv[1][0])).reduceByKey(merge_contexts).values().map(lambda c: json.dumps(c, sort_keys=True))
    tagged = merged.mapPartitions(piped(options, {"task": "weak-tags", "detections": weak.get("detections"), "all_images": False})).cache()
    folder = os.path.join(work, "weak")
    queries_folder = os.path.join(folder, "queries")
    shutil.rmtree(queries_folder, ignore_errors=True)

    def write_queries(index, items):
        write_whole(os.path.join(queries_folder, "part-%05d.jsonl" % index), [json.dumps(t, sort_keys=True) for t in items])
        return []
    tagged.mapPartitionsWithIndex(write_queries).collect()  # every executor writes its part: the queries every unit reads
    stems = sorted(tagged.flatMap(lambda t: t["stems"]).distinct().collect())
    write_whole(os.path.join(folder, "stems.jsonl"), [json.dumps(stem) for stem in stems])
    each_unit(sc, names, lambda u: result_of(run_task(options, {"task": "weak-stats", "work": work, "unit": u,
                                                                "stems": os.path.join(folder, "stems.jsonl")})))
    parts = lines_of(sc, [os.path.join(work, "units", u, "weak", "stats.jsonl") for u in names]).collect()
    total = {"rows": sum(p["rows"] for p in parts), "tokens": sum(p["tokens"] for p in parts),
             "matching": {stem: sum(p["matching"].get(stem, 0) for p in parts) for stem in stems}}
    write_whole(os.path.join(folder, "statistics.jsonl"), [json.dumps(total, sort_keys=True)])
    each_unit(sc, names, lambda u: result_of(run_task(options, {"task": "weak-search", "work": work, "unit": u, "k": weak["k"],
                                                                "queries": queries_folder,
                                                                "statistics": os.path.join(folder, "statistics.jsonl")})))
    k = weak["k"]
    hits = lines_of(sc, [os.path.join(work, "units", u, "weak", "hits.jsonl") for u in names]) \
        .flatMap(lambda h: [(h["sha"], hit) for hit in h["hits"]]).groupByKey() \
        .mapValues(lambda found: sorted(found, key=lambda hit: (-hit["score"], hit["id"]))[:k])
    queries = tagged.filter(lambda t: t["source"] != "none").map(lambda t: (t["sha"], t))
    pairs = queries.join(hits).join(owners).flatMap(lambda kv: [
        (names[kv[1][1]], json.dumps({"sha": kv[0], "image": kv[1][0][0]["image"], "rank": rank + 1, "text": hit["text"], "score": hit["score"],
                                      "tags": kv[1][0][0]["tags"]}, sort_keys=True)) for rank, hit in enumerate(kv[1][0][1])])
    written = pairs.count()
    write_per_unit(sc, work, names, pairs, os.path.join("weak", "pairs.jsonl"))
    matched = hits.count()
    sources = tagged.map(lambda t: t["source"]).countByValue()
    return {"images": sum(sources.values()), "detector": sources.get("detector", 0), "context": sources.get("context", 0),
            "untagged": sources.get("none", 0), "unmatched": sources.get("detector", 0) + sources.get("context", 0) - matched, "pairs": written}


def write_split(sc, options, ordered, spec, count, shard_samples, text=False):
    """Cuts an ordered RDD of lines into ranges of shard_samples inputs, one task per shard."""
    shards = (count + shard_samples - 1) // shard_samples
    if shards == 0:
        return []
    keyed = ordered.zipWithIndex().map(lambda x: (x[1] // shard_samples, (x[1], x[0]))).partitionBy(shards, lambda k: k)

    def write(partition):
        items = sorted(partition, key=lambda kv: kv[1][0])
        if not items:
            return []
        index = items[0][0]
        out = run_task(options, dict(spec, index=index), stdin_lines=[json.dumps(line, sort_keys=True) for _, (_, line) in items])
        return [result_of(out)]
    return sorted(keyed.mapPartitions(write).collect(), key=lambda r: r["shard"])


def validation_boundary(samples, target):
    """Whole images go to validation by (hash, SHA-256), lowest first, while fewer than `target`
    samples are there: the last image taken, found from the sorted partitions' totals (one
    partition is read, not every image)."""
    if target <= 0:
        return None
    per_image = samples.map(lambda s: ((s["split"], s["sha"]), 1)).reduceByKey(lambda a, b: a + b).sortByKey().cache()
    totals = per_image.mapPartitionsWithIndex(lambda i, items: [(i, sum(n for _, n in items))]).collect()
    taken, boundary = 0, None
    for index, total in sorted(totals):
        if taken + total < target:
            taken += total
            if total:
                boundary = per_image.mapPartitionsWithIndex(lambda i, items, index=index: [max(items)[0]] if i == index else []).collect()[0]
            continue
        for key, n in per_image.mapPartitionsWithIndex(lambda i, items, index=index: sorted(items) if i == index else []).collect():
            if taken >= target:
                break
            boundary, taken = key, taken + n
        break
    return list(boundary) if boundary is not None else None


def build_shards(sc, options, work, names, out, args):
    """Pending samples numbered as one catalog numbers them; the validation split by image hash;
    the order cut into ranges, each a shard written by one task; text pairs; sizes.json and
    manifest.json."""
    base = {"work": work, "out": out, "args": args}
    each_unit(sc, names, lambda u: result_of(run_task(options, dict(base, task="shard-samples", unit=u))))
    samples = lines_of(sc, [os.path.join(work, "units", u, "shards", "samples.jsonl") for u in names]).cache()
    total = samples.count()
    plan = result_of(run_task(options, dict(base, task="shard-plan", total=total)))
    target, shard_samples = plan["validation"], plan["shard_samples"]
    boundary = validation_boundary(samples, target)
    order = lambda s: (s["order"], s["image"])
    in_val = lambda s: boundary is not None and [s["split"], s["sha"]] <= boundary
    train = samples.filter(lambda s: not in_val(s)).sortBy(order)
    val = samples.filter(in_val).sortBy(order)
    train_count = train.count()
    results = write_split(sc, options, train, dict(base, task="write-shard", prefix="train"), train_count, shard_samples)
    results += write_split(sc, options, val, dict(base, task="write-shard", prefix="val"), val.count(), shard_samples)
    pairs = result_of(run_task(options, dict(base, task="shard-plan", total=total, train=train_count))).get("text_pairs", 0)
    if pairs > 0:
        each_unit(sc, names, lambda u: result_of(run_task(options, dict(base, task="text-pair-candidates", unit=u, count=pairs))))
        candidates = lines_of(sc, [os.path.join(work, "units", u, "shards", "textpairs.jsonl") for u in names]).sortBy(lambda c: (c["order"], c["id"]))
        best = candidates.zipWithIndex().filter(lambda x: x[1] < pairs).keys()
        results += write_split(sc, options, best, dict(base, task="write-textpair-shard"), min(pairs, candidates.count()), shard_samples)
    index = result_of(run_task(options, dict(base, task="shard-index", unit=names[0], **options.get("weak", {}))))
    skipped = {}
    for r in results:
        for reason, n in (r.get("skipped") or {}).items():
            skipped[reason] = skipped.get(reason, 0) + n
    return {"samples": index, "shards": len(results), "skipped": skipped}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dumps", nargs="+", help="WARC files or folders of them (every executor must see these paths)")
    parser.add_argument("--curate", required=True, help="the curate binary: its path on every machine, or shipped with --ship-binary")
    parser.add_argument("--ship-binary", action="store_true", help="ship --curate to the executors (SparkContext.addFile)")
    parser.add_argument("--work", required=True, help="the work folder, on a filesystem every executor sees")
    parser.add_argument("--units", type=int, default=8, help="how many units the dump files are cut into (consecutive files each)")
    parser.add_argument("--rules", help="a rule file (default: the rules built into curate)")
    parser.add_argument("--set", action="append", default=[], help="RULE.PARAMETER=VALUE, as curate filter --set")
    parser.add_argument("--eval-images", action="append", default=[], help="a folder or file of evaluation images to decontaminate against (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="threads per curate task (one task per executor core: 1)")
    parser.add_argument("--stop-after", choices=["crawl", "link", "filter", "shards"], default="shards")
    parser.add_argument("--fetch", metavar="ARGS", help="run curate fetch after the crawl, with these options as one string "
                        "(e.g. \"--user-agent 'mylab/1.0 (+mailto:me@lab.org)'\"); the fetched files are crawled as more units")
    parser.add_argument("--fetch-units", type=int, default=8, help="how many fetch units the URLs are grouped into, by host")
    parser.add_argument("--out", help="the shard folder (default WORK/shards), on a filesystem every executor sees")
    parser.add_argument("--detections", help="an object detector's JSON lines for weak-pairs (curate weak-pairs --detections)")
    parser.add_argument("--k", type=int, default=5, help="weak pairs per image (µ-VLA: 5)")
    parser.add_argument("--shard-args", default="", help="curate build-shards' options, as one string (e.g. \"--text-pairs 0.25 --seed 1\")")
    parser.add_argument("--collect-edges-below", type=int, default=5_000_000,
                        help="label the near-duplicate graph in the driver when it has fewer edges (else rounds of joins)")
    parser.add_argument("--chaos", help="TASK:UNIT:N: the first attempt of that task SIGKILLs itself at its Nth write (tests)")
    args = parser.parse_args()

    dumps = []
    for path in args.dumps:
        found = sorted(glob.glob(os.path.join(path, "*.warc.gz")) + glob.glob(os.path.join(path, "*.warc"))) if os.path.isdir(path) else [path]
        dumps.extend(os.path.abspath(p) for p in found)
    if not dumps:
        sys.exit("curate_spark: no WARC files in %s; pass WARC files or folders of them" % " ".join(args.dumps))
    work = os.path.abspath(args.work)
    units = units_of(dumps, args.units)
    names = [u for u, _ in units]
    sc = SparkContext.getOrCreate()
    sc.setLogLevel("WARN")
    options = {"curate": os.path.abspath(args.curate), "ship": args.ship_binary, "chaos": args.chaos, "collect_edges_below": args.collect_edges_below}
    if args.ship_binary:
        sc.addFile(options["curate"])
    filter_fields = {"threads": args.threads, "set": args.set}
    if args.rules:
        filter_fields["rules"] = os.path.abspath(args.rules)
    timings = {}

    def phase(name, body):
        started = time.time()
        value = body()
        timings[name] = round(time.time() - started, 2)
        print(json.dumps({"phase": name, "seconds": timings[name], "result": value}, sort_keys=True), flush=True)
        return value

    crawled = phase("crawl", lambda: each_unit(sc, units, lambda unit: result_of(run_task(options, {
        "task": "crawl", "work": work, "unit": unit[0], "dumps": unit[1], "threads": args.threads}))))
    if args.fetch is not None:
        fetched = phase("fetch", lambda: fetch(sc, options, work, names, shlex.split(args.fetch), args.fetch_units, args.threads))
        phase("crawl-fetched", lambda: each_unit(sc, fetched, lambda unit: result_of(run_task(options, {
            "task": "crawl", "work": work, "unit": unit[0], "dumps": unit[1], "threads": args.threads}))))
        names = names + [u for u, _ in fetched]
    if args.stop_after != "crawl":
        phase("link", lambda: link(sc, options, work, names))
    if args.stop_after in ("filter", "shards"):
        # One catalog's numbers (the near-duplicate ranking needs the images'; the later stages the rest).
        phase("number", lambda: number(sc, options, work, names))
        phase("filter-partials", lambda: each_unit(sc, names, lambda u: result_of(run_task(options, dict(filter_fields, task="filter-partials", work=work, unit=u)))))
        phase("merge-partials", lambda: merge_partials(sc, work, names))
        globals_of = lambda u: os.path.join(work, "units", u, "filter", "globals.jsonl")
        phase("filter-candidates", lambda: each_unit(sc, names, lambda u: result_of(run_task(options, dict(
            filter_fields, task="filter-candidates", work=work, unit=u, globals=globals_of(u))))))
        near_rule = near_parameters(options, filter_fields)
        phase("merge-candidates", lambda: merge_candidates(sc, options, work, names, *near_rule))
        decided = phase("filter-decide", lambda: each_unit(sc, names, lambda u: result_of(run_task(options, dict(
            filter_fields, task="filter-decide", work=work, unit=u, globals=globals_of(u), eval_images=[os.path.abspath(p) for p in args.eval_images],
            near=os.path.join(work, "units", u, "filter", "near.jsonl"))))))
        summary = {"units": names, "crawled": crawled, "decided": decided, "seconds": timings}
    if args.stop_after == "shards":
        weak = {"k": args.k, "detections": os.path.abspath(args.detections) if args.detections else None}
        options["weak"] = {key: value for key, value in weak.items() if value is not None}
        summary["weak_pairs"] = phase("weak-pairs", lambda: weak_pairs(sc, options, work, names, weak))
        out = os.path.abspath(args.out or os.path.join(work, "shards"))
        summary["shards"] = phase("build-shards", lambda: build_shards(sc, options, work, names, out, args.shard_args.split()))
    if args.stop_after in ("filter", "shards"):
        summary["seconds"] = timings
        write_whole(os.path.join(work, "spark-run.json"), [json.dumps(summary, sort_keys=True)])
    sc.stop()


def near_parameters(options, filter_fields):
    """The near-duplicate rule's radius and colour limit, as curate reads the rules (printed by the
    curate binary, so the driver never parses a rule file itself)."""
    spec = dict(filter_fields, task="rule", check="near_duplicate")
    proc = subprocess.run([options["curate"], "task", json.dumps(spec, sort_keys=True)], env={"PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True)
    result = result_of([line for line in proc.stdout.splitlines() if line.strip()] or ['{"ok": false}'])
    return result.get("max_distance", 6), result.get("max_color_distance", 8.0)


if __name__ == "__main__":
    main()
