"""Issue 28: `lgreg import` reads a checkpoint in place, so its memory is a bound, not a benchmark's print.

An Aux-B-sized SWS checkpoint (deit-base width 768, schedule 3,3,4,3,3: 36,951,016 F32 parameters, 147.8 MB, its
largest tensor 9,437,184 bytes) is written by PyTorch in the official key layout and imported by the release
binary in a child process; the child's peak resident set, read with getrusage(RUSAGE_CHILDREN) once it has exited,
must stay within the largest tensor + 64 MiB (the runtime, the zip and pickle state, the compressor's buffers and a
few tensors being hashed on the cores side by side), where holding the checkpoint or its tensors whole would need
the file's 148 MB at least. The archive it writes must pass `lgreg inspect`.

`publish` of the resulting 148 MB archive streams it entry by entry from a mapping released behind the reader,
so its peak is bounded by the same constant, without a tensor's worth on top.

    LGREG_BIN=.build/release/lgreg /tmp/torchenv/bin/python -m pytest Tests/PyTorch/test_import_memory.py
"""
import json
import os
import pathlib
import subprocess
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONSTANT = 64 << 20  # bytes beyond the largest tensor

MEASURE = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(result.stderr, file=sys.stderr)
"""


def measure(binary, *arguments, home):
    """Runs `binary arguments` as the only child of a fresh Python and returns its peak RSS in bytes."""
    measured = subprocess.run([sys.executable, "-c", MEASURE, binary, *map(str, arguments)], capture_output=True,
                              text=True, env={**os.environ, "LGREG_HOME": str(home)})
    status, peak_kib = map(int, measured.stdout.split())
    assert status == 0, measured.stderr
    return peak_kib * 1024


def aux_b_state_dict():
    d, schedule, classes, tokens = 768, [3, 3, 4, 3, 3], 1000, 196
    g = torch.Generator().manual_seed(0)

    def r(*shape):
        return 0.02 * torch.randn(*shape, generator=g)

    sd = {"pos_embed": r(1, tokens, d), "patch_embed.proj.weight": r(d, 3, 16, 16), "patch_embed.proj.bias": r(d)}
    parts = {"norm1": (d,), "attn.qkv": (3 * d, d), "attn.proj": (d, d), "norm2": (d,), "mlp.fc1": (4 * d, d),
             "mlp.fc2": (d, 4 * d)}
    for part, shape in parts.items():
        for stage in range(len(schedule)):
            sd[f"blocks.block.{part}.instances.{stage}.weight"] = r(*shape)
            sd[f"blocks.block.{part}.instances.{stage}.bias"] = r(shape[0])
    sd.update({"norm.weight": r(d), "norm.bias": r(d), "head.weight": r(classes, d), "head.bias": r(classes)})
    return sd


def test_import_and_publish_peak_rss_are_bounded(tmp_path):
    sd = aux_b_state_dict()
    checkpoint = tmp_path / "aux-b.pth"
    torch.save({"model": sd, "epoch": 99}, checkpoint)
    largest = max(t.numel() * t.element_size() for t in sd.values())
    assert largest == 9_437_184
    assert checkpoint.stat().st_size > 147_000_000

    binary = os.environ.get("LGREG_BIN", str(ROOT / ".build" / "release" / "lgreg"))
    archive = tmp_path / "aux-b.lgz"
    peak = measure(binary, "import", checkpoint, "--layout", "sws-official", "-o", archive, home=tmp_path / "home")
    assert peak <= largest + CONSTANT, f"peak RSS {peak:,} bytes > largest tensor {largest:,} + {CONSTANT:,}"
    print(f"lgreg import: peak RSS {peak:,} bytes for a {checkpoint.stat().st_size:,}-byte checkpoint")

    # The archive is whole: `lgreg inspect` checks every entry's SHA-256, tensor shapes and finiteness.
    inspected = subprocess.run([binary, "inspect", str(archive), "--json"], capture_output=True, text=True)
    assert inspected.returncode == 0, inspected.stderr
    manifest = json.loads(inspected.stdout)["inspect"]["manifest"]
    assert manifest["parameters"]["stored"] == sum(t.numel() for t in sd.values()) == 36_951_016
    assert len(manifest["layers"]) == 5

    # Publish streams the archive into the store: the same constant bounds it, with no tensor on top.
    peak = measure(binary, "publish", archive, "--store", tmp_path / "store", home=tmp_path / "home")
    assert peak <= CONSTANT, f"publish: peak RSS {peak:,} bytes > {CONSTANT:,}"
    print(f"lgreg publish: peak RSS {peak:,} bytes for a {archive.stat().st_size:,}-byte archive")
