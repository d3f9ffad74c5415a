# The two commands: `make demo` and `make test`. Both install what is missing first.
JOBS ?= 2
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: setup build test test-asan test-tsan demo bench bench-offline bench-pit bench-loader bench-serving bench-stream fuzz wheel clean

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	STRATA_BIN=$(abspath $(BUILD))/bin/strata .venv/bin/python -m pytest -q tests/python

test-asan: setup
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer over the tests whose threads share a store. Arrow allocates from glibc malloc
# here (TSan intercepts it): its default mimalloc is uninstrumented, and a block it hands from one
# thread to another would look like a race.
test-tsan: export ARROW_DEFAULT_MEMORY_POOL = system
test-tsan: setup
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target online_store_test ingest_test offline_test training_test loader_test serving_test stream_test
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/online_store_test --gtest_filter='*Concurrency*:*LatestRowCache*:*SequenceDifferential*'
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/serving_test --gtest_filter='*FeatureLogger*:RemoteStream.ABatch*:RemoteStream.RowsOfAFailed*'
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/ingest_test --gtest_filter='*Reruns*:*WriteSeq*'
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/offline_test --gtest_filter='*Racing*:*IngestWrites*'
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/training_test --gtest_filter='*BruteForce*:*Spills*'
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/loader_test
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(abspath tests/tsan.supp)" build-tsan/bin/stream_test --gtest_filter='StreamWriter*'

demo: build
	.venv/bin/python examples/demo.py

bench: build
	$(BUILD)/bin/online_lookup_bench

# 20M rows x 20 features into online + offline, against pyiceberg and pyarrow (about 15 minutes).
bench-offline: build
	.venv/bin/python bench/offline_ingest/run.py --rows 20000000 --runs 3

# Training sets: 10M spine rows against 5M + 2M table rows and 50M sequence events, with DuckDB
# ASOF JOIN, pandas merge_asof and Feast (its own venv, .venv-feast) side by side.
bench-pit: build
	.venv/bin/python bench/pit_join/run.py --scale 1 --runs 3

# One epoch of a 20M-row training set into torch tensors: strata.torch against a DataLoader over
# a map-style dataset, a vectorized pyarrow iterator and pyarrow's decoding alone (about 25 minutes).
# libFuzzer on the serving API's request decoding and on streamed-message decoding (clang,
# ASan+UBSan), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz: setup
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DSTRATA_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target serving_request_fuzzer stream_message_fuzzer
	mkdir -p build-fuzz/corpus build-fuzz/stream_corpus && cp tests/fuzz/corpus/* build-fuzz/corpus/ && cp tests/fuzz/stream_corpus/* build-fuzz/stream_corpus/
	build-fuzz/bin/serving_request_fuzzer build-fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -print_final_stats=1
	build-fuzz/bin/stream_message_fuzzer build-fuzz/stream_corpus -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -print_final_stats=1

bench-serving: build
	.venv/bin/python bench/serving/run.py --runs 3

# Kafka into both stores exactly once against a plain librdkafka consumer, on a local KRaft broker (about 4 minutes).
bench-stream: build
	.venv/bin/python bench/stream_ingest/run.py --events 3000000 --runs 3

bench-loader: build
	.venv/bin/python bench/loader/run.py --rows 20000000 --runs 3

# The Python package as a wheel (scikit-build-core over the same CMake tree), into dist/.
wheel: setup
	.venv/bin/pip wheel . --no-build-isolation --no-deps -w dist

clean:
	rm -rf $(BUILD) build-asan build-tsan
