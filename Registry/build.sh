#!/usr/bin/env bash
# How the zoo's Fashion-MNIST learngenes are made, end to end, with lgreg alone (a release build).
#   Registry/build.sh [LGREG] [WORK]
# Resumable: a step whose output exists is skipped, and an interrupted training continues from its
# per-epoch checkpoint in WORK (default Registry/.work, kept out of git). The whole protocol takes hours on
# 2 cores; run it again after an interruption and it picks up where it stopped.
#
# Parallel: each step holds a lock on its output while it runs (flock, in WORK/.locks), so several runs of this
# script at once (one per core) share the work: a run passes over a step another run holds, and waits for it
# only where a later step needs its output.
#
# 1. the ancestry model: a plain fmnist-small ViT (width 128, 6 blocks) trained with labels on all 60,000
#    training images; its logits on every augmented training image are cached once for the distillations;
# 2. the SWS Aux-Net: fmnist-tiny, 16 layers as 3,3,4,3,3, pure distillation (α = 1, τ = 1) from the ancestry;
# 3. the baselines, on the same data, teacher and budget: Simple-LG (a plain 5-layer model), a TLEG Aux-Net
#    (16 layers), IMwLM's source (a plain 16-layer model); Vanilla-LG takes its top blocks from the ancestry;
# 4. declared untuned results, depth 6..15, for every strategy (random-assigned over seeds 0..4), which
#    `lgreg verify` re-measures;
# 5. fine-tuned Des-Nets recorded in a store (see the second half of this file);
# 6. those Des-Nets shipped as an OCI image layout, Registry/tuned;
# 7. the figures of Registry/README.md and Registry/accuracy.svg, rewritten from the store by readme.py.
#
# Speed: OpenBLAS 0.3.21 picks its kernels by CPU model and falls back to its SSE3 ones for a model it does not
# know; lgreg's compute commands then start again with `OPENBLAS_CORETYPE=SkylakeX` (AVX-512) or `Haswell`,
# several times faster, unless the variable is set. With two cores, `OPENBLAS_NUM_THREADS=1` and two runs of this script at once use them
# better than two threads in one GEMM (204 against 222 images/s for fmnist-small on 1 and 2 threads).
set -euo pipefail
lgreg=${1:-.build/release/lgreg}
registry=$(cd "$(dirname "$0")" && pwd)
work=${2:-$registry/.work}
mkdir -p "$work"
epochs=20
common=(--epochs "$epochs" --lr 1e-3 --batch 128 --seed 0)

# Locks live in WORK/.locks, one per output.
mkdir -p "$work/.locks"
lock_of() { local name=${1#"$work"/}; echo "$work/.locks/${name//\//_}.lock"; }
# once OUTPUT COMMAND...: runs COMMAND, which makes OUTPUT, unless OUTPUT exists or another run holds its lock.
once() {
    local output=$1 held; shift
    if [[ -e $output ]]; then echo "build: $output exists, skipped"; return; fi
    exec {held}>"$(lock_of "$output")"
    if flock -n "$held"; then
        [[ -e $output ]] || { echo "build: making $output"; "$@"; }
    else
        echo "build: another run is making $output"
    fi
    exec {held}>&-
}
# await OUTPUT...: waits for a run holding OUTPUT's lock to finish, then requires OUTPUT.
await() {
    local output held
    for output; do
        exec {held}>"$(lock_of "$output")"; flock "$held"; exec {held}>&-
        [[ -e $output ]] || { echo "build: $output is missing: its step failed; run build.sh again" >&2; exit 1; }
    done
}
# train OUTPUT ARGS...: `lgreg train ARGS -o OUTPUT`, resumed from its checkpoint when an earlier run stopped.
train() {
    local output=$1 resume=(); shift
    [[ -e $output.train/checkpoint.safetensors ]] && resume=(--resume)
    "$lgreg" train "$@" "${resume[@]}" -o "$output"
}

# 1. The ancestry model, and its weights as a file for the teacher.
once "$work/ancestry.lgz" train "$work/ancestry.lgz" plain --arch fmnist-small --depth 6 "${common[@]}" \
    --name fmnist-small-ancestry --learngene-version 1
await "$work/ancestry.lgz"
teacher=$work/ancestry/model.safetensors
once "$teacher" "$lgreg" materialize "$work/ancestry.lgz" --layers-source 0,1,2,3,4,5 --output "$work/ancestry"
await "$teacher"

# 2. The teacher's logits on every augmented image of every epoch (the augmentation depends only on seed,
#    epoch and image), computed once and cached for every distillation below.
logits=$work/ancestry-logits.safetensors
once "$logits" "$lgreg" train sws --arch fmnist-tiny "${common[@]}" --teacher "$teacher" --teacher-arch fmnist-small \
    --write-teacher-logits "$logits" --stop-after 0 -o "$work/logits.lgz"
await "$logits"

# 3. The SWS Aux-Net and the baselines, distilled from the same logits with the same budget (α = 1, τ = 1).
distill=(--teacher-logits "$logits" --alpha 1 --tau 1 "${common[@]}")
once "$work/fmnist-tiny-sws.lgz" train "$work/fmnist-tiny-sws.lgz" sws --arch fmnist-tiny --schedule 3,3,4,3,3 "${distill[@]}" \
    --name fmnist-tiny-sws --learngene-version 2
once "$work/fmnist-tiny-tleg.lgz" train "$work/fmnist-tiny-tleg.lgz" tleg --arch fmnist-tiny --depth 16 "${distill[@]}" \
    --name fmnist-tiny-tleg --learngene-version 2
once "$work/fmnist-tiny-imwlm-source.lgz" train "$work/fmnist-tiny-imwlm-source.lgz" plain --arch fmnist-tiny --depth 16 "${distill[@]}" \
    --name fmnist-tiny-imwlm-source --learngene-version 2
once "$work/fmnist-tiny-simple-lg.lgz" train "$work/fmnist-tiny-simple-lg.lgz" plain --arch fmnist-tiny --depth 5 "${distill[@]}" \
    --name fmnist-tiny-simple-lg --learngene-version 2

# 4. Declared untuned results, depth 6..15 on the whole test set, for `lgreg verify` to re-measure. Each
#    `eval --declare` writes a copy of its archive declaring what it measured; they are chained per learngene,
#    and the last copy is published into the store of step 5.
# 5. Fine-tuned Des-Nets, recorded in that store: 1 epoch from SWS and from each baseline at depths 6, 9, 12
#    and 15, against scratch for 1 and 3 epochs at the same depths and for 10 epochs at depth 12. Learngene
#    fine-tunes use a tenth of the pre-training learning rate (the paper's ratio, 5e-5 against 5e-4), scratch
#    the pre-training recipe. Each is recorded in F16 (half the bytes in git; its top-1 is measured as stored).
# Steps 4 and 5 run in two passes: the first does what it can while other runs still train, passing over a
# learngene that is not made yet; the second, once every training has finished, does the rest.
export LGREG_HOME=$work/store
mkdir -p "$work/declared" "$work/tune"
# declare_chain OUTPUT INPUT [EVAL-ARGS...]...: a `--` separates one eval's arguments from the next.
declare_chain() {
    local output=$1 current=$2 step=0 args=(); shift 2
    while (($#)); do
        args=()
        while (($#)) && [[ $1 != -- ]]; do args+=("$1"); shift; done
        (($#)) && shift
        step=$((step + 1))
        "$lgreg" eval "$current" --depths 6-15 "${args[@]}" --declare "$output.step$step.lgz" > /dev/null
        current=$output.step$step.lgz
    done
    mv "$current" "$output"
    rm -f "$output".step*.lgz "$work/shipped"
}
# declare_results NAME ARCHIVE EVAL-ARGS...: WORK/declared/NAME.lgz, the declared copy of ARCHIVE (later
# Registry/NAME.lgz); passed over while ARCHIVE is not made.
declare_results() {
    local name=$1 archive=$2; shift 2
    [[ -e $archive ]] || { echo "build: $archive is not made yet, passed over"; return; }
    once "$work/declared/$name.lgz" declare_chain "$work/declared/$name.lgz" "$archive" "$@"
    [[ -e $work/declared/$name.lgz ]] && "$lgreg" publish "$work/declared/$name.lgz" --no-use > /dev/null
    return 0
}
# tune TAG LEARNGENE|--scratch ARGS...: `lgreg finetune LEARNGENE ARGS --tag TAG`, skipped when TAG is recorded,
# when another run holds it or while LEARNGENE is not in the store yet; resumed when interrupted. The marker
# WORK/tune/TAG.done (':' as '_') says it is recorded.
tune() {
    local tag=$1 resume=(); shift
    local dir=$work/tune/${tag//:/_}
    tuned+=("$dir.done")
    [[ -e $dir.done ]] && { echo "build: $tag recorded, skipped"; return; }
    if "$lgreg" show "$tag" > /dev/null 2>&1; then touch "$dir.done"; return; fi
    if [[ $1 != --scratch ]] && ! "$lgreg" show "$1" > /dev/null 2>&1; then echo "build: $1 is not stored yet, $tag passed over"; return; fi
    [[ -e $dir/checkpoint.safetensors ]] && resume=(--resume)
    once "$dir.done" finetune_into "$dir" "$@" --tag "$tag" --work-dir "$dir" --batch 128 --seed 0 --dtype f16 "${resume[@]}"
}
# finetune_into DIR ARGS...: runs the fine-tune and marks DIR.done.
finetune_into() {
    local dir=$1; shift
    "$lgreg" finetune "$@" > /dev/null && touch "$dir.done" && rm -f "$work/shipped"
}
declare_and_tune() {
    declare_results fmnist-tiny-sws "$work/fmnist-tiny-sws.lgz" \
        --order front-mid-last -- --order last-mid-front -- --order mid-front-last -- \
        --strategy random --seed 0 -- --strategy random --seed 1 -- --strategy random --seed 2 -- \
        --strategy random --seed 3 -- --strategy random --seed 4
    declare_results fmnist-tiny-tleg "$work/fmnist-tiny-tleg.lgz" --strategy tleg
    declare_results fmnist-tiny-imwlm-source "$work/fmnist-tiny-imwlm-source.lgz" --strategy imwlm
    declare_results fmnist-tiny-simple-lg "$work/fmnist-tiny-simple-lg.lgz" --strategy simple-lg
    declare_results fmnist-small-ancestry "$work/ancestry.lgz" --strategy vanilla-lg
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
}
names=(fmnist-tiny-sws fmnist-tiny-tleg fmnist-tiny-imwlm-source fmnist-tiny-simple-lg fmnist-small-ancestry)
tuned=()
declare_and_tune
for name in "${names[@]:0:4}"; do await "$work/$name.lgz"; done
declare_and_tune
for name in "${names[@]}"; do await "$work/declared/$name.lgz"; done
await "${tuned[@]}"
for name in "${names[@]}"; do
    source=$work/$name.lgz
    [[ $name == fmnist-small-ancestry ]] && source=$work/ancestry.lgz
    cmp -s "$work/declared/$name.lgz" "$registry/$name.lgz" || cp "$work/declared/$name.lgz" "$registry/$name.lgz"
    cp "$source.train/metrics.jsonl" "$registry/$name.metrics.jsonl"
done

# 6. The tuned Des-Nets ship beside the archives as an OCI image layout, Registry/tuned (`lgreg pull
#    oci:Registry/tuned` after publishing the archives); blobs shared between them are one file. It is rebuilt
#    whole and swapped in.
# 7. Every declared and tuned figure re-measured, then the README's tables, the paper's claims and the plots
#    written from `lgreg report accuracy` on this store.
# One run does both (WORK/shipped marks them done; a later declaration or fine-tune removes it).
ship() {
    rm -rf "$registry/tuned.new"
    "$lgreg" list --kind tuned --csv | tail -n +2 | cut -d, -f2 | while read -r tag; do
        "$lgreg" push "$tag" "oci:$registry/tuned.new" > /dev/null
    done
    rm -rf "$registry/tuned" && mv "$registry/tuned.new" "$registry/tuned"
    "$lgreg" verify --all
    python3 "$registry/readme.py" "$lgreg" "$LGREG_HOME"
    touch "$work/shipped"
}
once "$work/shipped" ship
echo "zoo archives and tuned Des-Nets (Registry/tuned) written to $registry; the store is $LGREG_HOME (work files in $work)"
