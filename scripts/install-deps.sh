#!/usr/bin/env bash
# Installs what swiftgrad needs and is missing: Debian's OpenBLAS/LAPACKE/Python headers and clang-format
# (`make lint`), and the Python packages used by the build, the tests and `make lint` (ruff).
# Safe to run repeatedly; it only acts on gaps.
set -euo pipefail

missing=()
for pkg in libopenblas-dev liblapacke-dev python3-dev clang-format; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
need=()
for mod in numpy:numpy pytest:pytest hypothesis:hypothesis scipy:scipy setuptools:setuptools \
    sklearn:scikit-learn matplotlib:matplotlib tqdm:tqdm ml_dtypes:ml_dtypes \
    scipy_openblas32:scipy-openblas32 safetensors:safetensors atheris:atheris mpi4py:mpi4py ruff:ruff \
    ndindex:ndindex pytest_jsonreport:pytest-json-report array_api_compat:array-api-compat; do
  "$PYTHON" -c "import ${mod%%:*}" 2>/dev/null || need+=("${mod##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Python packages: ${need[*]}"
  "$PYTHON" -m pip install -q "${need[@]}"
fi
# An MPI for the sg.distributed tests: the mpich wheel (mpiexec and libmpi beside this Python), unless
# an mpiexec is already installed.
scripts_dir=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_path('scripts'))")
if [ ! -x "$scripts_dir/mpiexec" ] && ! command -v mpiexec >/dev/null 2>&1; then
  echo "Installing Python packages: mpich"
  "$PYTHON" -m pip install -q mpich
fi
