# The two commands of README.md, and a few conveniences. Everything builds with CMake + Ninja in build/.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
# Unity build of the libraries, the program and the test binaries (LATENTLAB_UNITY, LATENTLAB_UNITY_TESTS):
# less CPU for a clean build, docs/building.md.
UNITY      ?= ON
OUT        ?= demo-out

.PHONY: all deps configure build test demo study asan-test bench format clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DLATENTLAB_UNITY=$(UNITY) \
	  -DLATENTLAB_UNITY_TESTS=$(UNITY) $(CMAKE_ARGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The whole suite: unit, reference (Python cross-checks), fuzz and end-to-end tests.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The main job on the embedded default: dataset, teacher, three VAEs, stores, probes, SiTs, samples, report
# (configs/pipeline/demo.ini, docs/reproducing.md). A second run skips every finished stage.
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target latentlab
	$(BUILD)/bin/latentlab version
	$(BUILD)/bin/latentlab pipeline --config configs/pipeline/demo.ini --out $(OUT)

# The study: the full demo schedules over several seeds; STUDY_OUT/summary.md answers the paper's question.
STUDY_OUT ?= study-out
study: configure
	cmake --build $(BUILD) -j $(JOBS) --target latentlab
	$(BUILD)/bin/latentlab pipeline --config configs/pipeline/study.ini --out $(STUDY_OUT)

# The file-format unit and fuzz tests under AddressSanitizer + UBSan (a CI step).
asan-test: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATENTLAB_SANITIZE=ON \
	  -DLATENTLAB_UNITY=$(UNITY) -DLATENTLAB_UNITY_TESTS=$(UNITY) $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target unit_io fuzz_io
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L 'unit_io|fuzz_io'

# The benchmarks of tests/bench (not built by `make test`); run them from build/bin (docs/benchmarks.md).
bench: configure
	cmake --build $(BUILD) -j $(JOBS) --target benches

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
