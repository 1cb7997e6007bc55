#!/usr/bin/env python3
"""Writes an lgreg eval-set file (Schemas/eval-set.schema.json) from images and labels you already have.

    python3 Examples/make_eval_set.py OUT.safetensors [COUNT]

This example takes the first COUNT (default 1000) Fashion-MNIST test images from Debian's
dataset-fashion-mnist; replace `load()` with your own data. Needs numpy and safetensors only.
Then: lgreg eval model.safetensors --arch fmnist-small --data OUT.safetensors
"""
import gzip
import json
import sys

import numpy as np
from safetensors.numpy import save_file


def load(count):
    """Images as uint8 [N, C, H, W] and labels as int64 [N]."""
    root = "/usr/share/datasets/fashion-mnist"
    images = np.frombuffer(gzip.open(f"{root}/t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    labels = np.frombuffer(gzip.open(f"{root}/t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    return images.reshape(-1, 1, 28, 28)[:count].copy(), labels[:count].astype(np.int64)


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    images, labels = load(count)
    # uint8 pixels are read as value/255; float32 pixels ([N, C, H, W] np.float32) are read as they are.
    metadata = {
        "format": "lgreg-eval-set",
        "format_version": "1",
        "mean": json.dumps([0.2860]),  # one value, or one per channel
        "std": json.dumps([0.3530]),
    }
    save_file({"images": images, "labels": labels}, out, metadata=metadata)
    print(f"{out}: {len(labels)} images of shape {list(images.shape[1:])}")


if __name__ == "__main__":
    main()
