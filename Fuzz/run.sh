#!/usr/bin/env bash
# make fuzz: builds curate-fuzz (libFuzzer + AddressSanitizer, in .build-fuzz), seeds each target
# from ../shared/corpus and the repository, runs each for FUZZ_SECONDS, and prints one line per
# target: executions, executions per second, coverage (edges), corpus size and findings. A
# finding (crash, hang over 10 s, leak, or one allocation over 1 GB) is written to
# .build-fuzz/findings/TARGET/; fix it, then commit it under Tests/Fuzz/TARGET/ as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-"warc http charset html tokenizer image rules safetensors tar"}
OUT=.build-fuzz
mkdir -p "$OUT"
# SwiftPM links with gold, which fails on libFuzzer's objects; the toolchain's lld links them.
LLD="$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld"
printf '{ "schemaVersion": "1.0", "linker": { "path": "%s" } }\n' "$LLD" > "$OUT/toolset.json"
CURATE_FUZZ=1 swift build -c release --product curate-fuzz --scratch-path "$OUT" --toolset "$OUT/toolset.json" \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -E "error|Compiling|Build" | tail -3
FUZZER="$OUT/release/curate-fuzz"
[ -x "$FUZZER" ] || FUZZER="$OUT/x86_64-unknown-linux-gnu/release/curate-fuzz"

seeds() {  # seeds TARGET: fills $OUT/seeds/TARGET once
  local dir="$OUT/seeds/$1"
  [ -d "$dir" ] && return
  mkdir -p "$dir"
  case "$1" in
    warc) cp "$SHARED"/corpus/warc/* "$dir"/ 2>/dev/null || true; cp samples/crawl.warc.gz "$dir"/ ;;
    http|charset|html|tokenizer)
      python3 - "$1" "$SHARED" "$dir" <<'PY'
import gzip, os, sys, pathlib
target, shared, out = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
pages = sorted(p for p in (shared / "corpus/html").rglob("*") if p.is_file())[:400]
pages += sorted(p for p in pathlib.Path("samples/mirror").rglob("*.html"))[:20]
for i, page in enumerate(pages):
    body = page.read_bytes()[:60000]
    if target == "http":
        kind = i % 3
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        if kind == 1: head += b"Content-Encoding: gzip\r\n"; body = gzip.compress(body[:4000])
        if kind == 2:
            head += b"Transfer-Encoding: chunked\r\n"
            body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [body[j:j + 500] for j in range(0, min(len(body), 4000), 500)]) + b"0\r\n\r\n"
        body = head + b"\r\n" + body[:8000]
    elif target == "charset":
        body = (b"windows-1251\n" if i % 4 == 1 else b"") + body[:8000]
    elif target == "tokenizer":
        body = bytes([i % 6]) + body[:8000]   # the first byte picks the initial state
    (out / f"{i:04d}").write_bytes(body)
if target == "tokenizer":
    import json
    states = {"Data state": 0, "RCDATA state": 1, "RAWTEXT state": 2, "Script data state": 3, "PLAINTEXT state": 4, "CDATA section state": 5}
    for p in sorted((shared / "corpus/html5lib/tokenizer").glob("*.test")):
        doc = json.loads(p.read_text())
        for j, test in enumerate(doc.get("tests", doc.get("xmlViolationTests", []))):
            for state in test.get("initialStates", ["Data state"]):
                data = test["input"].encode("utf-8", "surrogatepass")
                (out / f"{p.stem}-{j:04d}-{states[state]}").write_bytes(bytes([states[state]]) + data)
if target == "charset":
    for p in sorted((shared / "corpus/html5lib/encoding").rglob("*.dat")):
        for j, case in enumerate(p.read_bytes().split(b"#data\n")[1:]):
            (out / f"{p.stem}-{j:03d}").write_bytes(case.split(b"#encoding")[0])
PY
      ;;
    image) cp -r "$SHARED"/corpus/images/valid/. "$dir"/; find "$SHARED"/corpus/images/corrupt -type f -exec cp {} "$dir"/ \; ; cp samples/images/* "$dir"/ ;;
    rules) cp Sources/Filters/Rules/*.toml "$dir"/ ;;
    safetensors) cp Tests/Golden/clippo/*.safetensors "$dir"/ ;;
    tar)
      python3 - "$dir" <<'PY'
import io, sys, tarfile, pathlib
out = pathlib.Path(sys.argv[1])
for n, fmt in [(1, tarfile.USTAR_FORMAT), (3, tarfile.GNU_FORMAT), (2, tarfile.PAX_FORMAT)]:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w", format=fmt) as tar:
        for k in range(n):
            for suffix, body in [("txt", b"a red circle"), ("json", b'{"key":"%06d"}' % k), ("jpg", bytes(range(256)) * 3)]:
                info = tarfile.TarInfo(f"{k:06d}.{suffix}"); info.size = len(body); info.mtime = 0
                tar.addfile(info, io.BytesIO(body))
    (out / f"shard-{fmt}-{n}.tar").write_bytes(data.getvalue())
PY
      ;;
  esac
}

status=0
printf '%-12s %12s %10s %8s %8s %s\n' target executions exec/s edges corpus findings
for t in $TARGETS; do
  seeds "$t"
  mkdir -p "$OUT/corpus/$t" "$OUT/findings/$t"
  log="$OUT/fuzz-$t.log"
  # TOMLKit's C++ bridge leaks a few KB per parse (the leaks suppressed below; one parse per
  # filter run in curate), which over millions of runs reaches 2 GB of RSS: rules gets a larger
  # RSS limit; the 1 GB limit on any single allocation still holds for it.
  rss=2048; [ "$t" = rules ] && rss=8192
  # The known leaks of TOMLKit's C++ bridge (a rule file read once per run) are suppressed as in make asan.
  CURATE_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 LSAN_OPTIONS=suppressions=$PWD/.lsan-suppressions "$FUZZER" \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=$rss -malloc_limit_mb=1024 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$OUT/findings/$t/" "$OUT/corpus/$t" "$OUT/seeds/$t" >"$log" 2>&1 || true
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  edges=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corpus=$(ls "$OUT/corpus/$t" | wc -l)
  found=$(ls "$OUT/findings/$t" | wc -l)
  printf '%-12s %12s %10s %8s %8s %s\n' "$t" "${runs:-0}" "${speed:-0}" "${edges:-0}" "$corpus" "$found"
  [ "$found" = 0 ] || { status=1; ls "$OUT/findings/$t" | sed 's/^/    /'; }
done
exit $status
