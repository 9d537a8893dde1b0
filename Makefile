# The front door. A new user needs two commands:
#   make demo   set up what is missing, build, and run the demo against a local server
#   make test   set up, build, and run every test (ASan+UBSan with gcc; TSan with clang)
# Other targets: make (build), make bench, make install PREFIX=..., make clean.
#   make fuzz   builds the libFuzzer targets of tests/fuzz with clang in build/fuzz and runs each
#               for FUZZ_SECONDS (default 60) on a copy of its corpus; fails on new crash files
#               (build/fuzz/crashes/). make test replays every corpus (ctest fuzz.replay_*).

PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CMAKE_FLAGS ?=

.PHONY: all build setup demo test test-asan test-tsan bench fuzz install clean

all: build

setup:
	@scripts/setup

build/build.ninja build/Makefile:
	cmake -S . -B build $(GEN) $(CMAKE_FLAGS)

build: setup
	@test -f build/CMakeCache.txt || cmake -S . -B build $(GEN) $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

demo: build
	build/lkc demo

# All tests once under ASan+UBSan (LSan on, gcc), then a clang build with TSan of
# everything (warnings are errors) running the unit and the engine/lifecycle tests.
test: setup
	scripts/run-tests

test-asan: setup
	scripts/run-tests asan

test-tsan: setup
	scripts/run-tests tsan

bench: build
	bench/run

FUZZ_SECONDS ?= 60
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) tests/fuzz/run

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build
