# The two commands a newcomer needs are `make run` and `make test`; the rest is CMake.
# Each target installs what is missing first (scripts/install-deps.sh is quiet and quick
# when everything is there).

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
LISTEN     ?= 0.0.0.0:8080
CMAKE_ARGS ?=
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all build deps test-deps check-deps test unit asan run bench fuzz fuzz-build fuzz-merge \
        soak format clean check check-tsan install

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

# The checks run the integration tests under ThreadSanitizer, so they need what the tests
# need too (nats-server, ffmpeg, Janus and its OpenSSL libsrtp2.so.1, ...).
check-deps:
	@scripts/install-deps.sh check test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Every test, in a normal build and then under AddressSanitizer + UBSan; then every
# libFuzzer target fuzzes for FUZZ_TEST_SECONDS (clang, in $(FUZZ_BUILD); JOBS at once)
# on a copy of its corpus -- a crash fails the run and names the reproducer.
# FUZZ_TEST_SECONDS=0 leaves the fuzzing out (the corpora are still replayed by ctest).
FUZZ_TEST_SECONDS ?= 20
test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPLENARY_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)
ifneq ($(FUZZ_TEST_SECONDS),0)
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_TEST_SECONDS) $(JOBS)
endif

# Only the quick cmocka tests of the normal build.
unit: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

run: build
	@scripts/run-demo.sh $(BUILD) $(LISTEN)

# PREFIX/bin/plenaryd, the web client in PREFIX/share/plenary/web-client, the systemd unit
# in PREFIX/lib/systemd/system and a first PREFIX/etc/plenary/plenary.json (/etc/plenary
# when PREFIX=/usr; never overwritten). DESTDIR stages it for packaging. docs/deploy.md.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

bench:
	@scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@scripts/bench.sh $(BUILD)

# libFuzzer targets (clang); FUZZ_SECONDS each, JOBS at once, each on a copy of its
# corpus in $(FUZZ_BUILD)/fuzz-runs/<what>/ that grows from run to run. A crash prints its
# reproducer; `make fuzz-merge` adds what the runs found that is new to
# tests/fuzz/corpus/<what>/ for committing (tests/fuzz/README.md).
FUZZ_SECONDS ?= 30
fuzz: fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DPLENARY_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

fuzz-merge: fuzz-build
	@scripts/fuzz-merge.sh $(FUZZ_BUILD)

soak: build
	@scripts/soak.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

# The checks CI runs before the tests (scripts/check/): clang-format, function length and
# complexity (pmccabe), include boundaries, unused exported symbols (needs the build),
# prettier and eslint over the web client -- seconds -- and then the media and gateway
# unit tests and the integration tests under ThreadSanitizer in $(TSAN_BUILD) (under a
# minute on two cores; CHECK_TSAN=0 leaves it out). Each says file:line; a summary closes
# the run.
TSAN_BUILD ?= build-tsan
CHECK_TSAN ?= 1
check: check-deps build
	@TSAN_BUILD=$(TSAN_BUILD) scripts/check/all.sh $(if $(filter 1,$(CHECK_TSAN)),--tsan) $(BUILD)

# ThreadSanitizer alone; TSAN_INTEGRATION=1 adds the node integration tests against a
# TSan plenaryd.
check-tsan: $(if $(TSAN_INTEGRATION),test-deps,deps)
	@scripts/check/tsan.sh $(TSAN_BUILD) $(if $(TSAN_INTEGRATION),--integration)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
