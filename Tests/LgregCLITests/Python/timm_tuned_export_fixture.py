"""Loads an lgreg export of a tuned Des-Net with timm's own loader, `timm.create_model("local-dir:" + DIR,
pretrained=True)`, classifies Fashion-MNIST's 10,000 test images with it, and writes what it found, so
ZooVerificationTests (in CI, which has no torch) checks that lgreg still writes those bytes and records that top-1.

    python3 Tests/LgregCLITests/Python/timm_tuned_export_fixture.py DIR OUT.json

DIR is `lgreg export fmnist-tiny-sws-d12:2-cyclic-ft1 -o DIR` of the zoo's store. Images are normalized as the
export's pretrained_cfg states ((pixel / 255 − mean) / std); LayerNorm epsilon is the config's lgreg.layerNormEps.
"""
import gzip
import hashlib
import json
import pathlib
import sys

import numpy as np
import timm
import torch

directory, out = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
model = timm.create_model("local-dir:" + str(directory), pretrained=True).eval()
config = json.loads((directory / "config.json").read_text())
for module in model.modules():
    if isinstance(module, torch.nn.LayerNorm):
        module.eps = config["lgreg"]["layerNormEps"]

root = pathlib.Path("/usr/share/datasets/fashion-mnist")


def idx(name, offset):
    return np.frombuffer(gzip.open(root / name).read(), np.uint8, offset=offset)


images = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
labels = idx("t10k-labels-idx1-ubyte.gz", 8)
mean, std = config["pretrained_cfg"]["mean"][0], config["pretrained_cfg"]["std"][0]
inputs = torch.from_numpy((images - mean) / std)
with torch.no_grad():
    predicted = torch.cat([model(inputs[i:i + 500]).argmax(1) for i in range(0, len(inputs), 500)]).numpy()
correct = int((predicted == labels).sum())
fixture = {
    "tool": f"timm {timm.__version__}, torch {torch.__version__}",
    "timm_class": type(model).__name__,
    "model_sha256": hashlib.sha256((directory / "model.safetensors").read_bytes()).hexdigest(),
    "config_sha256": hashlib.sha256((directory / "config.json").read_bytes()).hexdigest(),
    "images": len(labels),
    "correct": correct,
}
out.write_text(json.dumps(fixture, indent=2, sort_keys=True) + "\n")
print(json.dumps(fixture, indent=2, sort_keys=True))
