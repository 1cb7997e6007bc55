#!/usr/bin/env bash
# How the zoo's Fashion-MNIST learngenes were made, end to end, with lgreg alone (a release build).
#   Registry/build.sh [LGREG] [WORK]
# 1. an ancestry model: a plain 8-block fmnist-tiny ViT trained with labels;
# 2. an SWS Aux-Net (fmnist-tiny, 16 layers as 3,3,4,3,3) distilled from it with the paper's α = 1, τ = 1;
# 3. a Simple-LG baseline: a plain 5-block model trained with labels, the paper's contrast to SWS;
# The sizes (images, epochs) fit a 2-core machine in minutes; the recipe is the paper's otherwise.
set -euo pipefail
lgreg=${1:-.build/release/lgreg}
work=${2:-$(mktemp -d)}
registry=$(cd "$(dirname "$0")" && pwd)
common=(--train-limit 15000 --eval-limit 10000 --batch 128 --seed 0)

$lgreg train plain --arch fmnist-tiny --depth 8 --epochs 4 --lr 1e-3 "${common[@]}" \
    --name fmnist-tiny-ancestry --learngene-version 1 -o "$work/ancestry.lgz"
# The ancestry model as a weights file for live distillation.
$lgreg materialize "$work/ancestry.lgz" --layers-source 0,1,2,3,4,5,6,7 --output "$work/ancestry"

$lgreg train sws --arch fmnist-tiny --schedule 3,3,4,3,3 --epochs 4 --lr 1e-3 "${common[@]}" \
    --teacher "$work/ancestry/model.safetensors" --alpha 1 --tau 1 \
    --name fmnist-tiny-sws --learngene-version 1 -o "$work/fmnist-tiny-sws.lgz"

$lgreg train plain --arch fmnist-tiny --depth 5 --epochs 4 --lr 1e-3 "${common[@]}" \
    --name fmnist-tiny-simple-lg --learngene-version 1 -o "$work/fmnist-tiny-simple-lg.lgz"

# 4. declared results: every depth 6..15, untuned, on the full Fashion-MNIST test set, which `lgreg verify`
#    re-measures: SWS with cyclic (front-mid-last) and random-assigned maps, Simple-LG with the same cyclic
#    maps over its plain 5 layers, and the ancestry model at its own depth.
$lgreg eval "$work/fmnist-tiny-sws.lgz" --depths 6-15 --declare "$work/sws-cyclic.lgz"
$lgreg eval "$work/sws-cyclic.lgz" --depths 6-15 --strategy random --declare "$registry/fmnist-tiny-sws.lgz"
$lgreg eval "$work/fmnist-tiny-simple-lg.lgz" --depths 6-15 --strategy simple-lg --declare "$registry/fmnist-tiny-simple-lg.lgz"
$lgreg eval "$work/ancestry.lgz" --depth 8 --strategy imwlm --declare "$registry/fmnist-tiny-ancestry.lgz"
echo "zoo archives written to $registry (work files in $work)"
