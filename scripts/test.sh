#!/usr/bin/env bash
# Sets up like the main job, then builds and runs every test. The CLI and hostile-input tests run the release
# binary, as users do (LGREG_TEST_BINARY); the test targets themselves build in debug mode. The Python package's
# tests (python/tests, pytest) run last, in a virtual environment with torch and timm from PyPI, installed while
# Swift builds (pip keeps its cache, so a second run downloads nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

python_env=.venv
python_log=$(mktemp)
(
    python3 -m venv --system-site-packages "$python_env" &&
        "$python_env/bin/python" -m pip install -q -r scripts/requirements-python.txt ./python
) >"$python_log" 2>&1 &
python_setup=$!

# One shape for all Swift code (.swift-format at the root: 4 spaces, lines of at most 120 columns).
swift format lint --strict -r Sources Tests Package.swift
swift build -c release --product lgreg
swift build --build-tests
LGREG_TEST_BINARY="$PWD/.build/release/lgreg" swift test --skip-build

if ! wait "$python_setup"; then
    echo "test: installing the Python test environment failed:" >&2
    cat "$python_log" >&2
    exit 1
fi
python_tests=(python/tests)
[ -d Tests/PyTorch ] && python_tests+=(Tests/PyTorch)
LGREG_BIN="$PWD/.build/release/lgreg" "$python_env/bin/python" -m pytest -q -p no:cacheprovider "${python_tests[@]}"
