"""What the tests share: the repository, the zoo's learngene and tuned Des-Net they use, running the CLI."""

import os
import pathlib
import subprocess

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
LEARNGENE = "fmnist-tiny-sws"
TUNED = "fmnist-tiny-sws-d12:2-cyclic-ft1"


def run_lgreg(binary, store, *arguments):
    """Runs the CLI on `store` as a user would; returns the finished process."""
    return subprocess.run(
        [binary, *arguments], env={**os.environ, "LGREG_HOME": str(store)}, capture_output=True, text=True
    )
