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
#
# Speed: OpenBLAS 0.3.21 picks its kernels by CPU model and falls back to its SSE3 ones for a model it does not
# know (lgreg says so on a terminal); `OPENBLAS_CORETYPE=SkylakeX` (AVX-512) or `Haswell` then makes training
# several times faster. With two cores, `OPENBLAS_NUM_THREADS=1` and two builds at once (this one and, say, the
# scratch fine-tunes of step 5) use them better than two threads in one GEMM.
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

# 4. Declared untuned results, depth 6..15 on the whole test set, for `lgreg verify` to re-measure. Each
#    `eval --declare` writes a copy of its archive declaring what it measured; they are chained per learngene.
# declare OUTPUT INPUT [EVAL-ARGS...]...: a `--` separates one eval's arguments from the next.
declare_chain() {
    local output=$1 current=$2; shift 2
    if [[ -e $output ]]; then echo "build: $output exists, skipped"; return; fi
    local step=0 args=()
    while (($#)); do
        args=()
        while (($#)) && [[ $1 != -- ]]; do args+=("$1"); shift; done
        (($#)) && shift
        step=$((step + 1))
        "$lgreg" eval "$current" --depths 6-15 "${args[@]}" --declare "$output.step$step.lgz" > /dev/null
        current=$output.step$step.lgz
    done
    mv "$current" "$output"
    rm -f "$output".step*.lgz
}
mkdir -p "$work/declared"
declare_chain "$work/declared/fmnist-tiny-sws.lgz" "$work/fmnist-tiny-sws.lgz" \
    --order front-mid-last -- --order last-mid-front -- --order mid-front-last -- \
    --strategy random --seed 0 -- --strategy random --seed 1 -- --strategy random --seed 2 -- \
    --strategy random --seed 3 -- --strategy random --seed 4
declare_chain "$work/declared/fmnist-tiny-simple-lg.lgz" "$work/fmnist-tiny-simple-lg.lgz" --strategy simple-lg
declare_chain "$work/declared/fmnist-tiny-tleg.lgz" "$work/fmnist-tiny-tleg.lgz" --strategy tleg
declare_chain "$work/declared/fmnist-tiny-imwlm-source.lgz" "$work/fmnist-tiny-imwlm-source.lgz" --strategy imwlm
declare_chain "$work/declared/fmnist-small-ancestry.lgz" "$work/ancestry.lgz" --strategy vanilla-lg
cp "$work"/declared/*.lgz "$registry/"

# 5. Fine-tuned Des-Nets, recorded in a store of their own: 1 epoch from SWS and from each baseline at depths
#    6, 9, 12 and 15, against scratch for 1 and 3 epochs at the same depths and for 10 epochs at depth 12.
#    Learngene fine-tunes use a tenth of the pre-training learning rate (the paper's ratio, 5e-5 against
#    5e-4), scratch the pre-training recipe.
export LGREG_HOME=$work/store
for archive in "$registry"/fmnist-*.lgz; do "$lgreg" publish "$archive" > /dev/null; done
# tune TAG ARGS...: `lgreg finetune ARGS --tag TAG`, skipped when TAG is recorded, resumed when interrupted.
tune() {
    local tag=$1; shift
    if "$lgreg" show "$tag" > /dev/null 2>&1; then echo "build: $tag recorded, skipped"; return; fi
    local dir=$work/tune/${tag//:/_} resume=()
    [[ -e $dir/checkpoint.safetensors ]] && resume=(--resume)
    echo "build: fine-tuning $tag ${resume[*]}"
    "$lgreg" finetune "$@" --tag "$tag" --work-dir "$dir" --batch 128 --seed 0 "${resume[@]}" > /dev/null
}
for depth in 6 9 12 15; do
    tune "fmnist-tiny-sws-d$depth:2-cyclic-ft1" fmnist-tiny-sws:2 --depth "$depth" --epochs 1 --lr 1e-4
    tune "fmnist-tiny-simple-lg-d$depth:2-ft1" fmnist-tiny-simple-lg:2 --strategy simple-lg --depth "$depth" --epochs 1 --lr 1e-4
    tune "fmnist-tiny-tleg-d$depth:2-ft1" fmnist-tiny-tleg:2 --strategy tleg --depth "$depth" --epochs 1 --lr 1e-4
    tune "fmnist-tiny-imwlm-d$depth:2-ft1" fmnist-tiny-imwlm-source:2 --strategy imwlm --depth "$depth" --epochs 1 --lr 1e-4
    tune "fmnist-small-vanilla-lg-d$depth:1-ft1" fmnist-small-ancestry:1 --strategy vanilla-lg --depth "$depth" --epochs 1 --lr 1e-4
    for epochs in 1 3; do
        tune "scratch-fmnist-tiny-d$depth:s0-ft$epochs" --scratch --arch fmnist-tiny --depth "$depth" --epochs "$epochs" --lr 1e-3
    done
done
tune "scratch-fmnist-tiny-d12:s0-ft10" --scratch --arch fmnist-tiny --depth 12 --epochs 10 --lr 1e-3
"$lgreg" verify --all

# 6. The tuned Des-Nets ship beside the archives as an OCI image layout, Registry/tuned (`lgreg pull
#    oci:Registry/tuned` after publishing the archives); blobs shared between them are one file. It is rebuilt
#    whole and swapped in.
rm -rf "$registry/tuned.new"
"$lgreg" list --kind tuned --csv | tail -n +2 | cut -d, -f2 | while read -r tag; do
    "$lgreg" push "$tag" "oci:$registry/tuned.new" > /dev/null
done
rm -rf "$registry/tuned" && mv "$registry/tuned.new" "$registry/tuned"
echo "zoo archives and tuned Des-Nets (Registry/tuned) written to $registry; the store is $LGREG_HOME (work files in $work)"
