#!/usr/bin/env bash
# The main job: set up, build lgreg in release mode, and walk the user's path end to end on a fresh store:
# the paper's accounting, an Aux-B-shaped learngene published, planned, materialized and reported on, and
# the zoo's trained Fashion-MNIST learngenes and tuned Des-Nets published and verified (every declared accuracy
# re-measured), a tuned Des-Net exported for timm and evaluated from the folder, and the accuracy-against-storage
# report; and the zoo written as a static site (`site/`, kept after the job) that a browser opens from disk.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product lgreg
lgreg=$PWD/.build/release/lgreg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LGREG_HOME=$work/store

echo "== Des-B 6..15: parameters and FLOPs (the paper's Table 1)"
$lgreg arch show deit-base --depths 6-15
echo
echo "== An Aux-B-shaped learngene (deit-base, stages 3,3,4,3,3; random weights), published"
$lgreg init --preset deit-base --schedule 3,3,4,3,3 --random --seed 0 --name aux-b -o "$work/aux-b.lgz"
$lgreg publish "$work/aux-b.lgz"
$lgreg list
echo
echo "== Cyclic initialization, front-mid-last, for depths 6..15"
$lgreg plan aux-b --depths 6-15
echo
echo "== A Des-B-14 materialized in the store (no layer copied) and exported for timm"
$lgreg materialize aux-b --depth 14 --order front-mid-last --output "$work/des-b-14"
echo
echo "== Storage and training savings of the learngene against pre-training every Des-B"
$lgreg report savings aux-b --depths 6-15
echo
echo "== The zoo: learngenes trained by lgreg on Fashion-MNIST and Des-Nets tuned from them, published and verified"
for archive in Registry/*.lgz; do $lgreg publish "$archive" --no-use; done   # many: --no-use (README)
[ -d Registry/tuned ] && $lgreg pull oci:Registry/tuned > /dev/null
$lgreg list --all
$lgreg verify --all
$lgreg fsck
echo
echo "== The zoo as a static site (open site/index.html in a browser): every entry, its verdict, plots, lineage"
$lgreg site -o "$PWD/site"
echo
echo "== A tuned Des-Net is a model like any other: exported as a timm/Hub folder, which runs to its recorded top-1"
$lgreg export fmnist-tiny-sws-d12:2-cyclic-ft1 -o "$work/sws-d12-tuned"
$lgreg eval "$work/sws-d12-tuned"
echo
echo "== Accuracy against stored parameters, untuned and tuned, per strategy and depth"
$lgreg report accuracy
