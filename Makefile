# The two commands a newcomer needs:
#   make demo   installs what is missing, builds, and runs examples/quickstart.py
#   make test   installs what is missing, builds, and runs every test (Swift and Python)
PYTHON ?= python3
SWIFT ?= swift
export PYTHONPATH := $(CURDIR)/python

.PHONY: demo test deps build swift-build swift-test py-test test-asan test-tsan bench lint clean wheel test-wheel \
	array-api-tests

demo: deps build
	$(PYTHON) examples/quickstart.py
	SWIFTGRAD_BLAS_LIBRARY="$(SCIPY_OPENBLAS)" $(SWIFT) run -c release swiftgrad-example

test: deps lint build swift-test py-test array-api-tests test-asan test-tsan test-wheel

deps:
	@bash scripts/install-deps.sh

# The extension and libswiftgrad.so are built in place into python/swiftgrad/.
build:
	$(PYTHON) setup.py -q build_ext --inplace

# A wheel that installs anywhere: the core built for three ISA levels (baseline, AVX2, AVX-512, chosen
# at import), auditwheel-repaired to a manylinux tag, into dist/ (see "Installing a wheel", README.md).
wheel:
	PYTHON=$(PYTHON) bash scripts/build_wheel.sh dist

# Builds the wheel, installs it into a fresh venv that cannot see the toolchain or the system BLAS,
# and runs the op table and kernel tests at every ISA level (Tests/python/test_wheel.py; part of `make
# test`: ~6 min after a Swift change for three release builds, ~40 s when .build-python-<level> are current).
test-wheel: wheel
	SWIFTGRAD_TEST_WHEEL=1 SWIFTGRAD_WHEEL="$$(ls -1t dist/swiftgrad-*manylinux*.whl | head -1)" \
	  $(PYTHON) -m pytest -q Tests/python/test_wheel.py

swift-build:
	$(SWIFT) build

# The Swift programs and tests use the same OpenBLAS as the Python package (the scipy-openblas32
# wheel; without it the core falls back to the system OpenBLAS).
SCIPY_OPENBLAS = $(shell $(PYTHON) -c 'import scipy_openblas32 as s; print(s.get_lib_dir() + "/libscipy_openblas.so")' 2>/dev/null)

swift-test:
	SWIFTGRAD_BLAS_LIBRARY="$(SCIPY_OPENBLAS)" $(SWIFT) test

py-test:
	$(PYTHON) -m pytest -q Tests/python

# Sanitizer builds in their own folders (scripts/sanitize.sh): the core and the extension with
# AddressSanitizer (part of `make test`) or ThreadSanitizer, against the fast subset / thread tests.
test-asan:
	PYTHON=$(PYTHON) bash scripts/sanitize.sh address

test-tsan:
	PYTHON=$(PYTHON) bash scripts/sanitize.sh thread

# The official array API conformance suite against swiftgrad.array_api (scripts/array_api_tests.sh):
# derandomized, ARRAY_API_MAX_EXAMPLES examples per test, failures other than array-api-xfails.txt fail.
array-api-tests:
	PYTHON=$(PYTHON) bash scripts/array_api_tests.sh

bench: deps build
	$(PYTHON) benchmarks/overhead.py
	$(PYTHON) benchmarks/compile.py
	$(PYTHON) benchmarks/transforms.py
	$(PYTHON) benchmarks/checkpoint.py

# Fails on any finding (and runs first in `make test`): ruff with the rules in pyproject.toml, clang-format
# with .clang-format (fix a file with `clang-format -i FILE`), swift-format's rules with .swift-format
# (scripts/lint_swift.sh says which of its findings count), and no line over 120 characters nor file over
# 600 lines (scripts/check_lines.py).
CLANG_FORMAT ?= clang-format
C_SOURCES = $(wildcard python/csrc/*.c python/csrc/*.h include/*.h Sources/CBLAS/*.c Sources/CBLAS/include/*.h)

lint:
	$(PYTHON) -m ruff check python Tests/python benchmarks examples scripts setup.py
	$(CLANG_FORMAT) --dry-run --Werror $(C_SOURCES)
	SWIFT=$(SWIFT) bash scripts/lint_swift.sh
	$(PYTHON) scripts/check_lines.py

clean:
	rm -rf .build .build-python .build-python-* build dist python/swiftgrad/*.so python/swiftgrad/lib \
	  python/swiftgrad/_build_info.py

# --- Documentation (area: examples/docs) ---------------------------------------------------------
# Regenerates docs/OPERATORS.md from the op table and the course example's graph pictures
# (the pictures need Graphviz's `dot`); Tests/python/test_docs.py checks both are current.
.PHONY: docs
docs: build
	$(PYTHON) scripts/gen_operator_reference.py
	$(PYTHON) scripts/render_course_graph.py
