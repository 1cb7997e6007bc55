#!/usr/bin/env bash
# The main job: set up, build lgreg in release mode and print what the paper's Des-B family costs and what
# one SWS learngene saves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product lgreg
lgreg=.build/release/lgreg

echo "== Des-B 6..15: parameters and FLOPs (the paper's Table 1)"
$lgreg arch show deit-base --depths 6-15
echo
echo "== Storage and training savings of one Aux-B learngene (3,3,4,3,3) against pre-training every Des-B"
$lgreg report savings deit-base --schedule 3,3,4,3,3 --depths 6-15
