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
# The suite runs from a scratch copy, so its hypothesis database and caches stay out of both trees.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$suite/array_api_tests" "$suite/conftest.py" "$suite/reporting.py" "$suite/pytest.ini" "$work/"
[ -d "$suite/array-api" ] && ln -s "$(cd "$suite" && pwd)/array-api" "$work/array-api"
cd "$work"
ARRAY_API_TESTS_MODULE=swiftgrad.array_api PYTHONPATH="$OLDPWD/python" "$PYTHON" -m pytest -q -p no:cacheprovider array_api_tests \
  --max-examples="$examples" --derandomize --disable-deadline \
  --xfails-file="$OLDPWD/array-api-xfails.txt" -W ignore::UserWarning "$@"
