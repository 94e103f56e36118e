#!/usr/bin/env bash
# make array-api-tests: the official conformance suite (data-apis/array-api-tests) against
# swiftgrad.array_api, with a fixed number of derandomized hypothesis examples and the expected
# failures of array-api-xfails.txt (each with its reason): any other failure fails the run.
#   scripts/array_api_tests.sh [pytest arguments]
# The suite comes from ARRAY_API_TESTS_DIR or ../shared/array-api-tests; without either, the run
# says so and passes (it is an optional peer, like the comparison libraries of the benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
suite=${ARRAY_API_TESTS_DIR:-../shared/array-api-tests}
if [ ! -d "$suite/array_api_tests" ]; then
  echo "array-api-tests: no checkout of data-apis/array-api-tests at '$suite' (set ARRAY_API_TESTS_DIR): not run"
  exit 0
fi
examples=${ARRAY_API_MAX_EXAMPLES:-20}
# The suite is run from a scratch copy: while swiftgrad.array_api has no complex dtype, the suite's
# dtype_helpers.py takes max() of an empty sequence at import, and the copy gets `default=`
# there (its PROVENANCE.md describes this). Nothing of it is kept in the project.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$suite/array_api_tests" "$suite/conftest.py" "$suite/reporting.py" "$suite/pytest.ini" "$work/"
[ -d "$suite/array-api" ] && ln -s "$(cd "$suite" && pwd)/array-api" "$work/array-api"
"$PYTHON" - "$work/array_api_tests/dtype_helpers.py" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = "[(dt, dtype_nbits[dt]) for dt in complex_dtypes], key=lambda x: x[1]\n)"
if old in text:
    text = text.replace(old, "[(dt, dtype_nbits[dt]) for dt in complex_dtypes], key=lambda x: x[1], default=(None,)\n)")
open(path, "w").write(text)
PY
# The dtypes the standard names that swiftgrad does not have yet (docs/SEMANTICS.md).
missing=$(PYTHONPATH="$PWD/python" "$PYTHON" -c "
import swiftgrad.array_api as xp
names = 'int8 int16 int32 uint8 uint16 uint32 uint64 complex64 complex128'.split()
print(','.join(n for n in names if not hasattr(xp, n)))")
cd "$work"
ARRAY_API_TESTS_MODULE=swiftgrad.array_api ARRAY_API_TESTS_SKIP_DTYPES="$missing" \
  PYTHONPATH="$OLDPWD/python" "$PYTHON" -m pytest -q -p no:cacheprovider array_api_tests \
  --max-examples="$examples" --derandomize --disable-deadline \
  --xfails-file="$OLDPWD/array-api-xfails.txt" -W ignore::UserWarning "$@"
