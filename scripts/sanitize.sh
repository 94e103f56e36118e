#!/usr/bin/env bash
# make test-asan / make test-tsan: builds the Swift core (swiftc -sanitize=KIND) and the extension
# (clang -fsanitize=KIND) into .build-san-KIND/python, a copy of the package that leaves the
# normal in-place build alone, and runs the fast subset of the Python suite against it with the
# sanitizer runtime preloaded into the (uninstrumented) interpreter.
#   scripts/sanitize.sh address|thread [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?address or thread}
shift
PYTHON=${PYTHON:-python3}
CLANG=${CLANG:-$(command -v clang)}
out=.build-san-$kind
rm -rf "$out/python"
mkdir -p "$out/python"
cp -r python/swiftgrad "$out/python/"
find "$out/python" -name '*.so' -delete
SWIFTGRAD_SANITIZE=$kind CC=$CLANG LDSHARED="$CLANG -shared" "$PYTHON" setup.py -q build_ext -b "$out/python"
short=$([ "$kind" = address ] && echo asan || echo tsan)
runtime=$("$CLANG" -print-file-name="libclang_rt.$short-x86_64.so")
[ -f "$runtime" ] || runtime=$(dirname "$(dirname "$CLANG")")/lib/swift/clang/lib/linux/libclang_rt.$short-x86_64.so
if [ "$kind" = address ]; then
  tests=(Tests/python/test_op_table.py Tests/python/test_indexing.py Tests/python/test_errors.py
         Tests/python/test_errors_shapemath.py Tests/python/test_inplace.py Tests/python/test_never_crash.py
         Tests/python/test_threads.py Tests/python/test_custom.py Tests/python/test_linalg_extra.py
         Tests/python/test_deep_graph.py Tests/python/test_compile.py Tests/python/test_vmap.py
         Tests/python/test_vmap_transforms.py)
  # Python's own allocations are not instrumented and it leaks by design at exit: no leak checks.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}
else
  tests=(Tests/python/test_threads.py)
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:report_signal_unsafe=0}
  # The toolchain's TSan runtime refers to libdispatch's symbols; the interpreter does not load it.
  dispatch=$(dirname "$(dirname "$CLANG")")/lib/swift/linux/libdispatch.so
  [ -f "$dispatch" ] && runtime="$runtime $dispatch"
fi
echo "sanitizer $kind: $runtime"
LD_PRELOAD=$runtime PYTHONPATH="$PWD/$out/python" SWIFTGRAD_SANITIZED=$kind \
  "$PYTHON" -m pytest -q -p no:cacheprovider "${tests[@]}" "$@"
