"""Fixtures: the lgreg binary (`$LGREG_BIN`, else the repository's release build) and a store holding the zoo's
SWS learngene and one of its tuned Des-Nets."""

import os

import pytest

import lgreg
import torch
from store_support import LEARNGENE, REPOSITORY, TUNED, run_lgreg


# One thread: a test machine may be running other work, where two spinning threads are 3x slower than one.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def lgreg_bin():
    binary = os.environ.get("LGREG_BIN") or str(REPOSITORY / ".build" / "release" / "lgreg")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no lgreg binary at {binary}: build it (swift build -c release --product lgreg) or set LGREG_BIN")
    os.environ["LGREG_BIN"] = binary
    return binary


@pytest.fixture(scope="session")
def zoo_store(lgreg_bin, tmp_path_factory):
    """A store with the zoo's SWS learngene (`fmnist-tiny-sws:2`) and its depth-12 Des-Net tuned by lgreg."""
    path = tmp_path_factory.mktemp("zoo") / "store"
    published = run_lgreg(lgreg_bin, path, "publish", str(REPOSITORY / "Registry" / f"{LEARNGENE}.lgz"))
    assert published.returncode == 0, published.stderr
    pulled = run_lgreg(lgreg_bin, path, "pull", f"oci:{REPOSITORY / 'Registry' / 'tuned'}:{TUNED}")
    assert pulled.returncode == 0, pulled.stderr
    return lgreg.Store(path)
