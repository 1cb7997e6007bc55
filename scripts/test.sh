#!/usr/bin/env bash
# Sets up like the main job, then builds and runs every test. The CLI and hostile-input tests run the release
# binary, as users do (LGREG_TEST_BINARY); the test targets themselves build in debug mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One shape for all Swift code (.swift-format at the root: 4 spaces, lines of at most 120 columns).
swift format lint --strict -r Sources Tests Package.swift
swift build -c release --product lgreg
swift build --build-tests
LGREG_TEST_BINARY="$PWD/.build/release/lgreg" swift test --skip-build
