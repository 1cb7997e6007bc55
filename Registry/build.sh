#!/usr/bin/env bash
# How the zoo's Fashion-MNIST learngenes are made, end to end, with lgreg alone (a release build).
#   Registry/build.sh [LGREG] [WORK]
# Resumable: a step whose output exists is skipped, and an interrupted training continues from its
# per-epoch checkpoint in WORK (default Registry/.work, kept out of git). The whole protocol takes hours on
# 2 cores; run it again after an interruption and it picks up where it stopped.
#
# 1. the ancestry model: a plain fmnist-small ViT (width 128, 6 blocks) trained with labels on all 60,000
#    training images; its logits on every augmented training image are cached once for the distillations;
# 2. the SWS Aux-Net: fmnist-tiny, 16 layers as 3,3,4,3,3, pure distillation (α = 1, τ = 1) from the ancestry;
# 3. the baselines, on the same data, teacher and budget: Simple-LG (a plain 5-layer model), a TLEG Aux-Net
#    (16 layers), IMwLM's source (a plain 16-layer model); Vanilla-LG takes its top blocks from the ancestry;
# 4. declared untuned results, depth 6..15, for every strategy (random-assigned over seeds 0..4), which
#    `lgreg verify` re-measures;
# 5. fine-tuned Des-Nets recorded in a store (see the second half of this file).
set -euo pipefail
lgreg=${1:-.build/release/lgreg}
registry=$(cd "$(dirname "$0")" && pwd)
work=${2:-$registry/.work}
mkdir -p "$work"
epochs=20
common=(--epochs "$epochs" --lr 1e-3 --batch 128 --seed 0)

# train_step OUTPUT ARGS...: `lgreg train ARGS -o OUTPUT`, skipped when OUTPUT exists, resumed from its
# checkpoint when an earlier run was interrupted.
train_step() {
    local output=$1; shift
    if [[ -e $output ]]; then echo "build: $output exists, skipped"; return; fi
    local resume=()
    [[ -e $output.train/checkpoint.safetensors ]] && resume=(--resume)
    echo "build: training $output ${resume[*]}"
    "$lgreg" train "$@" "${resume[@]}" -o "$output"
}

# 1. The ancestry model, and its weights as a file for the live teacher.
train_step "$work/ancestry.lgz" plain --arch fmnist-small --depth 6 "${common[@]}" \
    --name fmnist-small-ancestry --learngene-version 1
[[ -e $work/ancestry/model.safetensors ]] ||
    "$lgreg" materialize "$work/ancestry.lgz" --layers-source 0,1,2,3,4,5 --output "$work/ancestry"

# 2. The SWS Aux-Net. Its first run computes the teacher's logits on every augmented image of every epoch
#    (the augmentation depends only on seed, epoch and image) and caches them for every later distillation.
logits=$work/ancestry-logits.safetensors
teacher=(--teacher-logits "$logits")
[[ -e $logits ]] || teacher=(--teacher "$work/ancestry/model.safetensors" --teacher-arch fmnist-small --write-teacher-logits "$logits")
distill=(--alpha 1 --tau 1 "${common[@]}")
train_step "$work/fmnist-tiny-sws.lgz" sws --arch fmnist-tiny --schedule 3,3,4,3,3 "${teacher[@]}" "${distill[@]}" \
    --name fmnist-tiny-sws --learngene-version 2
teacher=(--teacher-logits "$logits")

# 3. The baselines, distilled from the same cached logits with the same budget.
train_step "$work/fmnist-tiny-simple-lg.lgz" plain --arch fmnist-tiny --depth 5 "${teacher[@]}" "${distill[@]}" \
    --name fmnist-tiny-simple-lg --learngene-version 2
train_step "$work/fmnist-tiny-tleg.lgz" tleg --arch fmnist-tiny --depth 16 "${teacher[@]}" "${distill[@]}" \
    --name fmnist-tiny-tleg --learngene-version 2
train_step "$work/fmnist-tiny-imwlm-source.lgz" plain --arch fmnist-tiny --depth 16 "${teacher[@]}" "${distill[@]}" \
    --name fmnist-tiny-imwlm-source --learngene-version 2
