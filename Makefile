# OpenLFR: the commands of the README, and the CI builds.
#   make serve                 set up, build, and start the server
#   make test                  set up, build, and run the whole test suite
#   make sample [FLOOR=T]      a sample deployment on the running server
#   make run IMAGE=photo.jpg   set up, build, and find the faces in a photo
#   make install [PREFIX=/usr] install lfr, its console, models, man page and unit
#   make deb                   the Debian package (build-release/openlfr_*.deb)
# Everything is built with CMake; this file only chains the steps.

IMAGE ?= ../shared/data/samples/face_recognition_examples/examples/two_people.jpg
FUZZ_SECONDS ?= 45
JOBS ?= $(shell nproc)

LISTEN ?= 127.0.0.1:8080

.PHONY: all setup build run serve sample test asan-test tsan-test fuzz format-check release-build \
	install deb package-test clean

all: build

setup:
	./scripts/setup.sh

build: setup
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j$(JOBS)

run: build
	./build/lfr detect "$(IMAGE)"

# The first start creates the administrator with the password kept here.
serve: build
	@test -s build/admin-password || \
	  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > build/admin-password)
	./build/lfr serve --listen $(LISTEN) --admin-password-file build/admin-password

sample:
	./scripts/sample_deployment.py --url http://$(LISTEN) --admin-password-file build/admin-password --start \
	  $(if $(FLOOR),--floor $(FLOOR))

test: build
	cd build && ctest --output-on-failure -j$(JOBS)

# AddressSanitizer + UBSan over the same suite, but for the browser walk:
# under ASan the server runs the clip a few times slower than real time, and
# the server's code under it is covered by the API test; and the API test
# and the edge test again on PostgreSQL (the backend's code under ASan is
# covered by the C programs' PostgreSQL runs).
asan-test: setup
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLFR_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && LFR_TEST_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  ctest --output-on-failure -j$(JOBS) -E '^(console_web|api_pg|edge_pg)$$'

# ThreadSanitizer over the tests whose code runs on several threads: the
# gallery (searches beside adds and removes) and the server (connections,
# runner, and the cameras' pipelines with their decode and fusion threads).
# test_pipeline itself takes over 15 minutes under TSan and is left out.
tsan-test: setup
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLFR_TSAN=ON
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && LFR_TEST_SANITIZED=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j$(JOBS) -R '^(test_match|api)$$'

# Every parser of outside input under libFuzzer, each for a bounded time:
# images, model manifests, gallery files, walk-by ground truth, video files
# (seeded with tiny clips made here by ffmpeg: H.264 in MP4, MJPEG in AVI,
# MPEG-4 in Matroska), the API's JSON bodies through a live server, and
# the watchlist CSV and folder reader of `lfr watch`, and the CSV reader and
# writer of watchlist imports and exports.
FUZZERS = fuzz_image fuzz_manifest fuzz_gallery fuzz_walkby fuzz_video fuzz_api fuzz_watchlist \
	fuzz_config fuzz_csv
VIDEO_SEEDS = build-fuzz/corpus/fuzz_video/h264.mp4 build-fuzz/corpus/fuzz_video/mjpeg.avi \
	build-fuzz/corpus/fuzz_video/mpeg4.mkv
build-fuzz/corpus/fuzz_video/h264.mp4: CODEC = libx264 -pix_fmt yuv420p
build-fuzz/corpus/fuzz_video/mjpeg.avi: CODEC = mjpeg
build-fuzz/corpus/fuzz_video/mpeg4.mkv: CODEC = mpeg4
$(VIDEO_SEEDS):
	@mkdir -p $(dir $@)
	ffmpeg -loglevel error -y -f lavfi -i testsrc=size=64x48:rate=5 -t 0.6 -c:v $(CODEC) $@
fuzz: setup $(VIDEO_SEEDS)
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLFR_SANITIZE=ON -DLFR_FUZZ=ON -DBUILD_TESTING=OFF
	cmake --build build-fuzz -j$(JOBS) $(addprefix --target ,$(FUZZERS))
	set -e; for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus/$$f; \
	  if [ -d fuzz/seeds/$$f ]; then cp -n fuzz/seeds/$$f/* build-fuzz/corpus/$$f/; fi; \
	  if [ $$f = fuzz_manifest ]; then cp -n models/*.json build-fuzz/corpus/$$f/; fi; \
	  echo "== $$f"; \
	  ./build-fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 build-fuzz/corpus/$$f; \
	done

# The Release build a package makes: -O2 finds warnings the Debug build does not.
release-build: setup
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build build-release -j$(JOBS)

# lfr, the console, the models, the man page, lfr.conf (in /etc/openlfr when
# PREFIX is /usr) and the systemd unit, under PREFIX.
PREFIX ?= /usr/local
install: build
	cmake -S . -B build -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --install build

# The Debian package, from the Release build: build-release/openlfr_*.deb.
deb: release-build
	./scripts/make_deb.sh build-release build-release

# The package checked: its fields and files, lintian, the unit, and an
# unpacked copy that serves /healthz and /readyz.
package-test: deb
	./tests/test_package.sh build-release/openlfr_*.deb

# Every C file formatted as .clang-format says (CI fails on a difference).
format-check: setup
	@bad=$$(for f in $$(git ls-files '*.c' '*.h'); do \
	  clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "not formatted (clang-format -i them):"; echo "$$bad"; exit 1; fi; \
	echo "format-check: every C file formatted"

clean:
	rm -rf build build-asan build-tsan build-fuzz
