"""What curate's benchmark scripts share: where generated data lives, timing a command with its
peak memory, and a fresh copy of a generated catalog per run."""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def data_dir():
    """$PEERS_DATA, or /tmp/peers-data: generated inputs, made once and reused."""
    d = os.environ.get("PEERS_DATA") or os.path.join(tempfile.gettempdir(), "peers-data")
    os.makedirs(d, exist_ok=True)
    return d


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS in MB, stdout). Exits loudly on a non-zero status."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {' '.join(cmd)} failed:\n{err.decode(errors='replace')}")
    return wall, usage.ru_maxrss / 1024, out.decode(errors="replace")


@contextlib.contextmanager
def fresh_catalog(source):
    """A temporary work folder holding a copy of source/catalog.sqlite, removed afterwards."""
    work = tempfile.mkdtemp(prefix="curate-bench-")
    try:
        shutil.copy(os.path.join(source, "catalog.sqlite"), os.path.join(work, "catalog.sqlite"))
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def generated(bench, flag, name, n):
    """data_dir()/name, generated once by `curate-bench flag DIR --n n`."""
    source = os.path.join(data_dir(), name)
    if not os.path.exists(os.path.join(source, "catalog.sqlite")):
        print(f"# generating {source} (once)", flush=True)
        subprocess.run([bench, flag, source, "--n", str(n)], check=True)
    return source


def run_json(cmd, env=None, name="bench"):
    """Runs cmd with `--json FILE` appended; returns (the rows it wrote, its stdout). Exits loudly
    on a non-zero status."""
    fd, out = tempfile.mkstemp(suffix=".jsonl")
    os.close(fd)
    try:
        proc = subprocess.run(cmd + ["--json", out], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            sys.exit(f"{name}: {' '.join(cmd)} failed:\n{proc.stderr}")
        with open(out) as f:
            return [json.loads(line) for line in f if line.strip()], proc.stdout
    finally:
        os.remove(out)
