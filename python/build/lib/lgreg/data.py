"""Fashion-MNIST as lgreg reads it (Debian's `dataset-fashion-mnist`), for fine-tuning and checking Des-Nets in
PyTorch on the images `lgreg eval` and `lgreg verify` measure."""

from __future__ import annotations

import gzip
import os
import pathlib
from typing import Optional, Tuple

import numpy as np

#: Where Debian's `dataset-fashion-mnist` puts the gzipped IDX files (`--data-dir` replaces it in the CLI).
DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist"

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def fashion_mnist(split: str = "test", directory: Optional[os.PathLike] = None) -> Tuple[np.ndarray, np.ndarray]:
    """The images (uint8, [N, 1, 28, 28]) and labels (int64, [N]) of a split, `train` or `test`, in file order."""
    if split not in _FILES:
        raise ValueError(f"split is 'train' or 'test', not {split!r}")
    folder = pathlib.Path(directory or DEFAULT_DIRECTORY)
    images_file, labels_file = (folder / name for name in _FILES[split])
    images = _idx(images_file, magic=2051)
    labels = _idx(labels_file, magic=2049)
    if len(images) != len(labels):
        raise ValueError(f"{images_file}: {len(images)} images but {labels_file} has {len(labels)} labels")
    return images.reshape(len(images), 1, 28, 28), labels.astype(np.int64)


def normalize(images: np.ndarray, model) -> np.ndarray:
    """Model input as lgreg builds it: (pixel / 255 - mean) / std, with the mean and std of the model's
    `pretrained_cfg` (what `Store.load` sets from the export's config.json)."""
    config = model.pretrained_cfg
    mean = np.asarray(config["mean"], dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(config["std"], dtype=np.float32).reshape(1, -1, 1, 1)
    return ((images.astype(np.float32) / 255.0) - mean) / std


def _idx(path: pathlib.Path, magic: int) -> np.ndarray:
    """An IDX file's array (big-endian header: magic, then one size per dimension)."""
    with gzip.open(path, "rb") as file:
        data = file.read()
    found = int.from_bytes(data[0:4], "big")
    if found != magic:
        raise ValueError(f"{path}: magic number {found}, expected {magic}")
    dimensions = 1 if magic == 2049 else 3
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dimensions)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)
