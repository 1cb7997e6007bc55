"""Examples/pytorch/finetune_desnet.py runs as written, on a fresh store, and improves the Des-Net."""

import os
import re
import subprocess
import sys

from store_support import REPOSITORY


def test_finetune_example(lgreg_bin, tmp_path):
    run = subprocess.run(
        [sys.executable, str(REPOSITORY / "Examples" / "pytorch" / "finetune_desnet.py"), "--steps", "60",
         "--store", str(tmp_path / "store"), "--device", "cpu"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"lgreg verify fmnist-tiny-sws-d12:2-cyclic-front-mid-last-tuned-[0-9a-f]{12}: ok", run.stdout), run.stdout
    before, after = map(float, re.search(r"test top-1: ([\d.]+)% before, ([\d.]+)% after 60 steps", run.stdout).groups())
    assert after > before, run.stdout
