#!/usr/bin/env python3
"""make chaos: every stage SIGKILLed at >= 20 points spread over its run, rerun to the end, and
compared with an uninterrupted run of the same stage on the same input.

Kill points are curate's own fault points (CURATE_FAULT=exit-after:N: SQLite commits, atomic file
writes, training steps, pages written), counted first by a clean run (CURATE_FAULT=count). Stages
that resume (crawl-dump, build-shards, train) are killed in a chain, each rerun killed after
1/(K+1) of the clean run's points, so the kills walk through the job; stages that start over
(synth-crawl, filter, weak-pairs, report) are killed at i/(K+1) of their points, i = 1..K. Then
one last run finishes the job and the result is compared: every catalog table row for row (as a
digest; the runs table, run ids and the FTS indexes' internal segments excepted, the FTS indexes
checked with their own integrity-check instead), every output file byte for byte, the final
checkpoint's tensors. One line per stage: kills, differences found.
"""
import argparse, hashlib, json, os, platform, shutil, signal, sqlite3, subprocess, sys, time

def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()

def run(cmd, fault=None, cwd=None):
    env = dict(os.environ)
    env.pop("CURATE_FAULT", None)
    if fault:
        env["CURATE_FAULT"] = fault
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stderr

def count_points(cmd, cwd):
    code, err = run(cmd, "count", cwd)
    if code != 0:
        sys.exit(f"chaos: the uninterrupted run failed ({' '.join(cmd)}): {err.strip()}")
    for line in err.splitlines():
        if line.startswith("curate: fault points: "):
            return int(line.split(": ")[-1])
    sys.exit("chaos: curate printed no fault-point count; is it built from this tree?")

def catalog_digests(path):
    db = sqlite3.connect(path)
    out = {}
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    virtual = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
    for table in tables:
        if table == "runs" or any(table.startswith(v + "_") for v in virtual):
            continue
        if table in virtual:
            # The index's segments depend on how it was built (one pass or several); its own
            # integrity-check proves it matches the content, which is compared as its table.
            try:
                db.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
                out[table] = "integrity ok"
            except sqlite3.DatabaseError as e:
                out[table] = f"integrity FAILED: {e}"
            continue
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] not in ("run_id", "resume_file", "resume_stream")]
        where = ""
        h = hashlib.sha256()
        n = 0
        for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY {', '.join(columns)}"):
            h.update(repr(row).encode())
            n += 1
        out[table] = f"{n} rows {h.hexdigest()[:16]}"
    out["integrity_check"] = db.execute("PRAGMA integrity_check").fetchone()[0]
    return out

def folder_digests(folder, skip=()):
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if any(rel.startswith(s) for s in skip):
                continue
            with open(path, "rb") as f:
                out[rel] = hashlib.sha256(f.read()).hexdigest()[:16]
    return out

def tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    return hashlib.sha256(data[8 + n:]).hexdigest()[:16]

def differences(a, b):
    keys = sorted(set(a) | set(b))
    return [f"{k}: {a.get(k)} vs {b.get(k)}" for k in keys if a.get(k) != b.get(k)]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--curate", required=True)
    ap.add_argument("--dir", default="/tmp/curate-chaos")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--size", default="demo")
    ap.add_argument("--stages", default="synth-crawl,crawl-dump,filter,weak-pairs,build-shards,train,report")
    ap.add_argument("--train-steps", type=int, default=60)
    args = ap.parse_args()
    curate = os.path.abspath(args.curate)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    D = os.path.abspath(args.dir)
    K = args.kills
    print(f"chaos: curate {subprocess.run([curate, '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"{os.cpu_count()} cores, {cpu_model()}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"{args.size}-size crawl, {K} kills per stage, in {D}")
    train = ["--model", "mu", "--steps", str(args.train_steps), "--batch", "32", "--optimizer", "adamw", "--learning-rate", "5e-4",
             "--warmup", "10", "--text-pairs-fraction", "0.25", "--eval-every", "20", "--checkpoint-every", "3", "--keep", "100"]
    crawl = f"{D}/base/crawl"
    # Each stage: (its command for folder W, what it needs from the base, does it resume, compare).
    stages = {
        "synth-crawl": (lambda W: ["synth-crawl", "--size", args.size, "--out", f"{W}/crawl"], [], False, "crawl"),
        "crawl-dump": (lambda W: ["crawl-dump", f"{crawl}/crawl.warc.gz", "--work", f"{W}/work"], [], True, "catalog"),
        "filter": (lambda W: ["filter", "--work", f"{W}/work", "--eval-images", f"{crawl}/eval"], ["work/catalog.sqlite"], False, "catalog"),
        "weak-pairs": (lambda W: ["weak-pairs", "--work", f"{W}/work", "--detections", f"{crawl}/detections.jsonl"],
                       ["work/catalog.sqlite", "work/decontamination.jsonl"], False, "catalog"),
        "build-shards": (lambda W: ["build-shards", "--work", f"{W}/work", "--text-pairs", "0.25"],
                         ["work/catalog.sqlite", "work/decontamination.jsonl"], True, "shards"),
        "train": (lambda W: ["train", "--shards", f"{D}/base/work/shards", "--out", f"{W}/model", "--resume"] + train, [], True, "model"),
        "report": (lambda W: ["report", "--work", f"{W}/work", "--shards", f"{D}/base/work/shards", "--model", f"{D}/base/model",
                              "--out", f"{W}/report", "--query", "a large pink circle"],
                   ["work/catalog.sqlite", "work/decontamination.jsonl"], False, "report"),
    }
    os.makedirs(f"{D}/base", exist_ok=True)
    total_kills = total_diffs = 0
    for name in args.stages.split(","):
        make, needs, resumes, compare = stages[name]
        started = time.time()
        # Both runs happen in the same folder, W (moved aside after each), so that paths written
        # into outputs are the same.
        W = f"{D}/{name}/run"
        folders = {"clean": f"{D}/{name}/clean", "killed": f"{D}/{name}/killed"}
        def fresh():
            shutil.rmtree(W, ignore_errors=True)
            os.makedirs(f"{W}/work", exist_ok=True)
            for rel in needs:
                if os.path.exists(f"{D}/base/{rel}"):
                    shutil.copy2(f"{D}/base/{rel}", f"{W}/{rel}")
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
        fresh()
        command = [curate] + make(W)
        points = count_points(command, repo)
        os.rename(W, folders["clean"])
        fresh()
        kills = attempts = 0
        scale = points
        # Until K kills landed. A rerun that kept earlier work (filter's cached hashes) can finish
        # before the chosen point: then the points of a whole rerun are counted and the kills go
        # on at fractions of those.
        while kills < K and attempts < 3 * K:
            i = attempts % K + 1
            point = max(1, scale // (K + 1)) if resumes else max(1, round(i * scale / (K + 1)))
            code, _ = run(command, f"exit-after:{point}", repo)
            attempts += 1
            if code == -signal.SIGKILL:
                kills += 1
            elif not resumes:
                scale = count_points(command, repo)
        code, err = run(command, None, repo)
        if code != 0:
            print(f"  {name}: the final rerun failed: {err.strip()}")
        os.rename(W, folders["killed"])
        a, b = folders["clean"], folders["killed"]
        if compare == "catalog":
            diffs = differences(catalog_digests(f"{a}/work/catalog.sqlite"), catalog_digests(f"{b}/work/catalog.sqlite"))
            diffs += differences(folder_digests(f"{a}/work", skip=("catalog.sqlite",)), folder_digests(f"{b}/work", skip=("catalog.sqlite",)))
        elif compare == "shards":
            diffs = differences(folder_digests(f"{a}/work/shards"), folder_digests(f"{b}/work/shards"))
            diffs += differences(catalog_digests(f"{a}/work/catalog.sqlite"), catalog_digests(f"{b}/work/catalog.sqlite"))
        elif compare == "model":
            ca = sorted(f for f in os.listdir(f"{a}/model") if f.endswith(".safetensors"))
            cb = sorted(f for f in os.listdir(f"{b}/model") if f.endswith(".safetensors"))
            diffs = [] if ca == cb else [f"checkpoints {ca} vs {cb}"]
            diffs += differences({f: tensors(f"{a}/model/{f}") for f in ca}, {f: tensors(f"{b}/model/{f}") for f in cb})
        else:
            folder = "crawl" if compare == "crawl" else "report"
            diffs = differences(folder_digests(f"{a}/{folder}"), folder_digests(f"{b}/{folder}"))
        print(f"{name:13s} kills {kills:3d} in {attempts} runs  fault points {points:6d}  differences {len(diffs)}  ({time.time() - started:.0f} s)")
        for d in diffs[:10]:
            print(f"    {d}")
        total_kills += kills
        total_diffs += len(diffs)
        # The clean result is the next stage's input.
        for rel in ("crawl", "work/catalog.sqlite", "work/decontamination.jsonl", "work/shards", "model"):
            src = f"{folders['clean']}/{rel}"
            if os.path.exists(src) and (name != "report"):
                dst = f"{D}/base/{rel}"
                if os.path.isdir(src):
                    shutil.rmtree(dst, ignore_errors=True)
                    shutil.copytree(src, dst)
                else:
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    shutil.copy2(src, dst)
    print(f"chaos: {total_kills} kills, {total_diffs} differences")
    sys.exit(1 if total_diffs else 0)

if __name__ == "__main__":
    main()
