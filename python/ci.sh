#!/usr/bin/env bash
# Builds the Python package into a virtual environment and runs its tests:
#
#     bash python/ci.sh [PYTEST ARGS...]     (-m "not spark": without the Spark tests)
#
# Works on a fresh clone (with ../shared beside it): creates the venv
# (target/python-venv, or $NEARDUP_PY_VENV) when missing, installs the
# test requirements, installs the package with `pip install ./python`
# (maturin, from the package index, builds it in release), builds the
# `neardup` command line (debug) to compare with, and runs pytest from the
# repository root so that the installed package is the one tested.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
VENV="${NEARDUP_PY_VENV:-$TARGET/python-venv}"
PIP=(-m pip --disable-pip-version-check --quiet)

if [ ! -x "$VENV/bin/python" ]; then
  echo "python/ci.sh: creating $VENV"
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" "${PIP[@]}" install -r python/tests/requirements.txt -r python/tests/requirements-spark.txt
# NEARDUP_PY_SKIP_BUILD=1: the package installed by the previous run is
# tested again (.ci/run runs the core suite, then the Spark one).
if [ -z "${NEARDUP_PY_SKIP_BUILD:-}" ] || ! "$VENV/bin/python" -c "import neardup" 2>/dev/null; then
  echo "python/ci.sh: pip install ./python ($(date -u +%H:%M:%S))"
  "$VENV/bin/python" "${PIP[@]}" install --force-reinstall --no-deps ./python
  echo "python/ci.sh: built ($(date -u +%H:%M:%S))"
fi

if [ -z "${NEARDUP_CLI:-}" ]; then
  cargo build --quiet --bin neardup
  export NEARDUP_CLI="$TARGET/debug/neardup"
fi

# No bytecode beside the sources; pytest's cache under target/.
set +e
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/pytest" -p no:cacheprovider -q python/tests "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  # pytest's "no tests collected": fine when arguments chose none, a
  # broken suite otherwise.
  if [ "$#" -gt 0 ]; then
    echo "python/ci.sh: the arguments selected no test"
    exit 0
  fi
  echo "python/ci.sh: pytest collected no tests"
  exit 1
fi
exit "$code"
