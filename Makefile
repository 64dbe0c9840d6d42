# curate's make targets. The README names two of them: `make demo` (installs what is missing,
# builds, runs the main job on the bundled sample) and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
SHARED ?= ../shared
PEERS_VENV ?= /tmp/peers-venv
# The Python the shard tests read shards with (the webdataset library, as open_clip reads them).
TEST_VENV ?= /tmp/curate-test-venv
TEST_PACKAGES := webdataset==1.0.2 pillow==13.0.0 warcio==1.8.1 nltk==3.10.4
# Apache Spark for the cluster runs (scaleout/): pyspark from PyPI in a venv outside the repository,
# with Debian's Java 17.
SPARK_VENV ?= /tmp/curate-spark-venv
SPARK_PACKAGES := pyspark==4.3.0
# Debian packages: the C libraries (with pkg-config files), the font, and the tools the tests use
# (python3-venv for the shard test's webdataset; chromium and a font for the report's browser test).
APT_PACKAGES := pkg-config libxml2-dev libpng-dev libjpeg-dev libwebp-dev libgif-dev libsqlite3-dev \
                zlib1g-dev libdeflate-dev libopenblas-dev unifont python3-venv chromium fonts-dejavu-core time \
                openjdk-17-jre-headless nginx libcld2-dev wordnet-base
PKGCONFIG_MODULES := libxml-2.0 libpng libjpeg libwebpdemux libgif zlib libdeflate openblas sqlite3

.PHONY: readme-schema fuzz chaos setup build release test demo spark-demo spark-venv bench bench-venv bench-torch bench-images bench-crawl bench-render bench-filter bench-weak-pairs bench-train bench-fetch asan clean check-setup samples test-venv

## setup: install every Debian package the project needs (idempotent; root or sudo).
setup:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PACKAGES)
	@$(MAKE) --no-print-directory check-setup
	@$(MAKE) --no-print-directory test-venv
	@$(MAKE) --no-print-directory spark-venv

## spark-venv: pyspark in a venv outside the repository (Java 17 comes from make setup).
spark-venv:
	@[ -x $(SPARK_VENV)/bin/python3 ] && $(SPARK_VENV)/bin/python3 -c "import pyspark" 2>/dev/null || \
	  { python3 -m venv $(SPARK_VENV) && $(SPARK_VENV)/bin/pip install -q $(SPARK_PACKAGES); }

## test-venv: a Python venv with webdataset for the shard tests (outside the repository).
test-venv:
	@[ -x $(TEST_VENV)/bin/python3 ] && $(TEST_VENV)/bin/python3 -c "import webdataset, PIL, warcio, nltk" 2>/dev/null || \
	  { python3 -m venv $(TEST_VENV) && $(TEST_VENV)/bin/pip install -q $(TEST_PACKAGES); }

## check-setup: exit 0 when every library, the font and the test browser are present.
check-setup:
	@missing=; for m in $(PKGCONFIG_MODULES); do pkg-config --exists $$m || missing="$$missing $$m"; done; \
	[ -f /usr/share/unifont/unifont.hex ] || missing="$$missing unifont"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	[ -f /usr/include/cld2/public/compact_lang_det.h ] || missing="$$missing libcld2-dev"; \
	[ -f /usr/share/wordnet/index.noun ] || missing="$$missing wordnet-base"; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	if [ -n "$$missing" ]; then echo "missing:$$missing (run: make setup)"; exit 1; fi; \
	echo "setup ok: $(PKGCONFIG_MODULES) cld2 wordnet unifont chromium"

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

## test: every test target; the real-corpus tests read $(SHARED)/corpus and are skipped without it.
test:
	@mkdir -p .build/test-output
	CURATE_SHARED=$(abspath $(SHARED)) CURATE_TEST_PYTHON=$(TEST_VENV)/bin/python3 CURATE_SPARK_PYTHON=$(SPARK_VENV)/bin/python3 \
	  $(SWIFT) test --parallel --num-workers 2 \
	  --attachments-path .build/test-output
	@# html5lib's conformance tests through curate's tokenizer and prescan (also in CrawlTests).
	@if [ -d $(SHARED)/corpus/html5lib ]; then \
	  $(SWIFT) build --product curate-bench >/dev/null && \
	  for kind in tokenizer encoding; do \
	    out=.build/test-output/html5lib-$$kind.txt; ext=test; [ $$kind = encoding ] && ext=dat; \
	    .build/debug/curate-bench --html5lib-$$kind $(SHARED)/corpus/html5lib/$$kind/*.$$ext > $$out 2>&1 \
	      || { cat $$out; exit 1; }; \
	    echo "html5lib $$kind tests: $$(tail -1 $$out)"; \
	  done; \
	else echo "html5lib conformance: skipped ($(SHARED)/corpus/html5lib is absent)"; fi

## demo: the main job on the bundled sample (installs missing packages first), then the trainer
## on the demo-size synthetic crawl (a small model, a few minutes here).
## The demo's recipe (README, "make demo trains and shows that the model learned": each choice measured).
DEMO_STEPS ?= 3000
DEMO_TRAIN ?= --model mu --steps $(DEMO_STEPS) --batch 32 --optimizer adamw --learning-rate 1e-3 --adam-beta2 0.98 --warmup 200 \
              --weak-weight 0 --text-pairs-fraction 0 --eval-every 500 --checkpoint-every 500
demo:
	@$(MAKE) --no-print-directory check-setup >/dev/null 2>&1 || $(MAKE) --no-print-directory setup
	$(SWIFT) build -c release --product curate
	@echo "== curate inspect samples/images (one JSON line per image) =="
	.build/release/curate inspect samples/images
	@echo "== the synthetic crawl in samples/ (issue #3): its eval set, inspected =="
	.build/release/curate inspect samples/eval | head -3
	@echo "== curate crawl-dump samples/crawl.warc.gz (catalog in curate-work/) =="
	rm -rf curate-work && .build/release/curate crawl-dump samples/crawl.warc.gz --work curate-work
	@echo "== curate render: the first alt text of the sample as CLIPPO sees it (curate-work/render.png) =="
	.build/release/curate render "$$(sqlite3 curate-work/catalog.sqlite "SELECT text FROM pairs WHERE text_source = 'alt' AND length(text) > 40 ORDER BY rowid LIMIT 1" 2>/dev/null || echo 'A red circle and a blue square on a white background')" -o curate-work/render.png
	@echo "== curate filter: ALIGN's filters on the sample's catalog, decontaminated against samples/eval =="
	.build/release/curate filter --work curate-work --eval-images samples/eval | sed -n '/^rule /,$$p'
	.build/release/curate filter --work curate-work --explain http://www.shapes-gallery.example/static/logo.png | head -4
	@echo "== curate weak-pairs: images without a kept alt text, paired with page sentences by their detected objects =="
	.build/release/curate weak-pairs --work curate-work --detections samples/detections.jsonl
	@echo "== curate build-shards: WebDataset shards in curate-work/shards =="
	.build/release/curate build-shards --work curate-work --text-pairs 0.25
	@echo "== curate fetch: the sample crawl as Common Crawl writes it (pages, no images), its images from a local nginx =="
	bash demo/fetch.sh .build/release/curate curate-fetch-demo
	@echo "== curate train on the demo-size synthetic crawl (issue #3's demo size: 1,600 pages, about 3 minutes to write and shard) =="
	@[ -f curate-demo/work/shards/sizes.json ] || { rm -rf curate-demo && \
	  .build/release/curate synth-crawl --size demo --out curate-demo/crawl && \
	  .build/release/curate crawl-dump curate-demo/crawl/crawl.warc.gz --work curate-demo/work && \
	  .build/release/curate filter --work curate-demo/work --eval-images curate-demo/crawl/eval | sed -n '/^rule /,$$p'; }
	@# Captions rendered at the mu model's 64 px and font size 8, so the trainer renders none (a
	@# folder built for another size is rebuilt; one built for this size is resumed, at once).
	.build/release/curate build-shards --work curate-demo/work --detections curate-demo/crawl/detections.jsonl --text-pairs 0.25 \
	  --render-size 64 --render-font-size 8
	rm -rf curate-demo/work/model
	.build/release/curate train --shards curate-demo/work/shards --out curate-demo/work/model $(DEMO_TRAIN)
	.build/release/curate search --checkpoint curate-demo/work/model/step-$$(printf %09d $(DEMO_STEPS)).safetensors --shards curate-demo/work/shards -k 3 "a large pink circle"
	@echo "== curate report: what each run kept, dropped and learned, as a static HTML page =="
	.build/release/curate report --work curate-work
	.build/release/curate report --work curate-demo/work --truth curate-demo/crawl/truth.jsonl --query "a large pink circle" --query "two blue squares"
	@echo "== the report: $(CURDIR)/curate-demo/work/report/index.html (the sample's, without training: $(CURDIR)/curate-work/report/index.html) =="
	@echo "== the demo model, judged against the demo crawl's truth (curate search --truth) =="
	@.build/release/curate search --checkpoint curate-demo/work/model/step-$$(printf %09d $(DEMO_STEPS)).safetensors --shards curate-demo/work/shards \
	  --truth curate-demo/crawl/truth.jsonl

## samples: regenerate the committed samples/ (crawl.warc.gz, mirror/, eval/, truth.jsonl,
## detections.jsonl) from its seed; a test checks that this changes nothing.
samples:
	$(SWIFT) build --product curate
	.build/debug/curate synth-crawl --size sample --out samples

## bench: curate's figures and, in the same run, the peers' (../shared/bench/peers), as ratios:
## images (issue #2), crawl-dump (#4), filter (#5), the Unifont renderer (#6) and weak pairs (#7).
bench: bench-images bench-crawl bench-render bench-filter bench-weak-pairs bench-train

PEER_PACKAGES := numpy==2.4.6 pillow==13.0.0 opencv-python-headless==5.0.0.93 warcio==1.8.1 lxml==6.1.3 \
                 selectolax==1.0.2 resiliparse==2.0.1 fastwarc==2.0.1
bench-venv:
	@$(MAKE) --no-print-directory check-setup >/dev/null 2>&1 || $(MAKE) --no-print-directory setup
	@[ -x $(PEERS_VENV)/bin/python3 ] && $(PEERS_VENV)/bin/python3 -c "import cv2, PIL, numpy, warcio, lxml, selectolax, fastwarc" 2>/dev/null || \
	  { python3 -m venv $(PEERS_VENV) && $(PEERS_VENV)/bin/pip install -q $(PEER_PACKAGES); }
	@command -v taskset >/dev/null || { echo "taskset (util-linux) is missing"; exit 1; }

## bench-images: decode -> 256 -> crop 224 -> JPEG q95. The full peer table runs once; then
## BENCH_ROUNDS alternating rounds of the fastest peer and curate give the ratio (this machine's
## speed drifts, so only neighbouring runs are compared).
BENCH_ROUNDS ?= 7
BENCH_PEER ?= opencv-reduced
bench-images: bench-venv
	$(SWIFT) build -c release --product curate-bench
	@[ -d bench/data/photos ] || $(PEERS_VENV)/bin/python3 bench/peer_photos.py $(SHARED)/bench/peers bench/data/photos
	@rm -f bench/data/peer-image.jsonl bench/data/rounds-peer.jsonl bench/data/rounds-curate.jsonl
	@echo "== peers, every pipeline: ../shared/bench/peers/image_peer.py =="
	$(PEERS_VENV)/bin/python3 $(SHARED)/bench/peers/image_peer.py --reps 5 --json bench/data/peer-image.jsonl
	@echo "== curate, every stage =="
	.build/release/curate-bench --photos bench/data/photos --reps 5
	@echo "== $(BENCH_ROUNDS) alternating rounds: $(BENCH_PEER) vs curate, decode -> 256 -> crop 224 -> JPEG q95 =="
	@for i in $$(seq $(BENCH_ROUNDS)); do \
	  $(PEERS_VENV)/bin/python3 $(SHARED)/bench/peers/image_peer.py --only $(BENCH_PEER) --reps 3 --n 100 --json bench/data/rounds-peer.jsonl >/dev/null && \
	  .build/release/curate-bench --photos bench/data/photos --pipeline-only 1 --reps 3 --n 100 --json bench/data/rounds-curate.jsonl >/dev/null || exit 1; \
	done
	@$(PEERS_VENV)/bin/python3 bench/ratio.py bench/data/rounds-peer.jsonl bench/data/rounds-curate.jsonl

## bench-crawl: crawl-dump on the peers' synthetic WARC (2,000 pages): the peers' stages, curate's
## stages on one thread, then alternating rounds of the whole command (1 core, 2 cores) against
## the peers, and peak memory at two dump sizes. The WARCs are generated once into $$PEERS_DATA.
CRAWL_ROUNDS ?= 3
PEERS_DATA ?= /tmp/peers-data
export PEERS_DATA
bench-crawl: bench-venv
	$(SWIFT) build -c release --product curate && $(SWIFT) build -c release --product curate-bench
	@[ -f $(PEERS_DATA)/synth.warc.gz ] || $(PEERS_VENV)/bin/python3 $(SHARED)/bench/peers/gen_warc.py --out $(PEERS_DATA)/synth.warc.gz
	@echo "== peers, stage by stage: ../shared/bench/peers/warc_html.py =="
	$(PEERS_VENV)/bin/python3 $(SHARED)/bench/peers/warc_html.py --reps 3 --only read:fastwarc,parse:lxml,parse:selectolax,e2e:warcio+lxml,e2e:fastwarc+selectolax
	@echo "== curate, stage by stage (one thread; no catalog) =="
	.build/release/curate-bench --crawl $(PEERS_DATA)/synth.warc.gz --reps 3
	@echo "== $(CRAWL_ROUNDS) alternating rounds: the whole crawl-dump command against the peers =="
	$(PEERS_VENV)/bin/python3 bench/crawl_bench.py --shared $(SHARED) --curate .build/release/curate --bench .build/release/curate-bench --rounds $(CRAWL_ROUNDS)

## bench-fetch: the demo crawl's images from one local nginx, by img2dataset (PyPI, in FETCH_VENV) and by
## curate fetch, alternating rounds; images/s, the ratio, and peak memory at 1/4, 1/2 and all of the URLs.
FETCH_VENV ?= /tmp/curate-fetch-venv
FETCH_ROUNDS ?= 2
bench-fetch:
	@[ -x $(FETCH_VENV)/bin/img2dataset ] || { python3 -m venv $(FETCH_VENV) && $(FETCH_VENV)/bin/pip install -q img2dataset==1.47.0; }
	$(SWIFT) build -c release --product curate && $(SWIFT) build -c release --product curate-bench
	NO_ALBUMENTATIONS_UPDATE=1 python3 bench/fetch_bench.py --curate .build/release/curate --bench .build/release/curate-bench \
	  --img2dataset $(FETCH_VENV)/bin/img2dataset --rounds $(FETCH_ROUNDS)

## bench-render: CLIPPO's Unifont rendering at 224x224 of the peer's 2,000 alt texts, one core:
## RENDER_ROUNDS alternating rounds of the NumPy peer and curate-bench --render (every variant).
RENDER_ROUNDS ?= 3
bench-render: bench-venv
	$(SWIFT) build -c release --product curate-bench
	@echo "== $(RENDER_ROUNDS) alternating rounds: ../shared/bench/peers/unifont_render.py vs curate, one core =="
	$(PEERS_VENV)/bin/python3 bench/render_bench.py --shared $(SHARED) --bench .build/release/curate-bench --rounds $(RENDER_ROUNDS)

## bench-filter: curate filter on a generated catalog of 1,000,000 pairs (generated once into
## $$PEERS_DATA), default rules and the minimum-count vocabulary; then MetaCLIP's and DataComp's rule
## sets, CLD2 and MetaCLIP matching on one core, and MetaCLIP's own Python matching (pyahocorasick).
FILTER_ROUNDS ?= 3
bench-filter:
	$(SWIFT) build -c release --product curate && $(SWIFT) build -c release --product curate-bench
	@[ -x $(PEERS_VENV)/bin/python3 ] || python3 -m venv $(PEERS_VENV)
	@$(PEERS_VENV)/bin/python3 -c "import ahocorasick" 2>/dev/null || $(PEERS_VENV)/bin/pip install -q pyahocorasick==2.3.1
	python3 bench/filter_bench.py --curate .build/release/curate --bench .build/release/curate-bench --rounds $(FILTER_ROUNDS) --reference-python $(PEERS_VENV)/bin/python3

## bench-weak-pairs: curate weak-pairs for 100,000 generated images against 1,000,000 sentences
## (generated once into $$PEERS_DATA), on two threads and on one core.
WEAK_ROUNDS ?= 3
bench-weak-pairs:
	$(SWIFT) build -c release --product curate && $(SWIFT) build -c release --product curate-bench
	python3 bench/weak_pairs_bench.py --curate .build/release/curate --bench .build/release/curate-bench --rounds $(WEAK_ROUNDS)

## asan: the whole test suite under AddressSanitizer (and LeakSanitizer) in its own build folder.
asan:
	CURATE_SHARED=$(abspath $(SHARED)) ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(abspath .lsan-suppressions):print_suppressions=0 \
	  $(SWIFT) test --sanitize=address --scratch-path .build-asan

clean:
	rm -rf .build .build-asan

## bench-torch: PyTorch (the CPU build when PyPI has it) in the peers' venv, and tcmalloc, for the
## training peer (../shared/bench/peers/setup_venv.sh does the same).
bench-torch: bench-venv
	@dpkg -s libtcmalloc-minimal4 >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends libtcmalloc-minimal4; }
	@$(PEERS_VENV)/bin/python3 -c "import torch" 2>/dev/null || \
	  $(PEERS_VENV)/bin/pip install -q "torch==2.13.0+cpu" 2>/dev/null || $(PEERS_VENV)/bin/pip install -q torch

## bench-train: the CLIPPO training step (forward + backward + clip + AdamW), batch 32 pairs at
## 224, ViT-Ti/16 and S/16: TRAIN_ROUNDS alternating rounds of PyTorch (tcmalloc) and curate with
## OpenBLAS's own kernel choice and with OPENBLAS_CORETYPE=Haswell, and (on a CPU with AVX512-BF16)
## PyTorch's bf16 autocast against curate --precision bf16; the CPU, kernel and sgemm ceiling printed.
TRAIN_ROUNDS ?= 3
bench-train: bench-torch
	$(SWIFT) build -c release --product curate-bench
	.build/release/curate-bench --kernels 1
	$(PEERS_VENV)/bin/python3 bench/train_bench.py --shared $(SHARED) --python $(PEERS_VENV)/bin/python3 --rounds $(TRAIN_ROUNDS)
	$(SWIFT) build -c release --product curate
	python3 bench/train_e2e_bench.py --curate .build/release/curate --bench .build/release/curate-bench

## fuzz: libFuzzer (with AddressSanitizer) on each parser that reads outside bytes, FUZZ_SECONDS
## each (Fuzz/run.sh: the targets, seeds from ../shared/corpus, one line of figures per target).
FUZZ_SECONDS ?= 60
fuzz:
	SHARED=$(SHARED) FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

## chaos: each stage on the demo-size crawl SIGKILLed at CHAOS_KILLS fault points spread over its
## run, rerun to the end and compared with an uninterrupted run (Tests/Chaos/chaos.py).
CHAOS_KILLS ?= 20
CHAOS_DIR ?= /tmp/curate-chaos
chaos:
	$(SWIFT) build -c release --product curate
	python3 Tests/Chaos/chaos.py --curate .build/release/curate --dir $(CHAOS_DIR) --kills $(CHAOS_KILLS)

## spark-demo: the demo crawl written as 16 WARC files, through the single-machine commands and
## through Spark (local[2] for 1, 3 and 8 units, a standalone cluster of two workers, and the
## faults), compared by content and by shard digests, with the time of each (README: "Running on
## a cluster").
SPARK_DEMO_DIR ?= /tmp/curate-spark-demo
spark-demo: spark-venv
	$(SWIFT) build -c release --product curate
	@echo "CPU: $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $$(nproc) cores"
	$(SPARK_VENV)/bin/python3 scaleout/check_spark.py --curate .build/release/curate --python $(SPARK_VENV)/bin/python3 \
	  --work $(SPARK_DEMO_DIR) --size demo --warc-files 16 --units 1,3,8 --standalone --faults --metaclip

## readme-schema: regenerate README.md's catalog schema section from `curate schema`.
readme-schema:
	$(SWIFT) build --product curate
	@python3 -c 'import re,subprocess,sys; s=open("README.md").read(); g=subprocess.run([".build/debug/curate","schema"],capture_output=True,text=True,check=True).stdout; b=s.index("<!-- schema:begin"); b=s.index("\n",b)+1; e=s.index("<!-- schema:end -->"); open("README.md","w").write(s[:b]+g+s[e:])'
