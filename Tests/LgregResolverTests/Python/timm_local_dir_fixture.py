"""Loads lgreg exports with timm's own loader, `timm.create_model("local-dir:" + DIR, pretrained=True)`, and
prints (or writes) timm's logits for fixed images, so ExportTests compares them with lgreg's.

    python3 Tests/LgregResolverTests/Python/timm_local_dir_fixture.py DIR [DIR …] [--fixture OUT]

Each DIR is a folder `lgreg materialize --output` (TimmExport) wrote. ExportTests writes its two exports and runs
this script when torch and timm import; with LGREG_WRITE_TIMM_FIXTURE=1 it passes --fixture
Tests/LgregResolverTests/Fixtures/timm-local-dir.json, the file CI (which has no torch) compares against. The
images are a formula both sides compute: image b, element i (C×H×W order) = (((37 + 16·b)·i + 101·b) mod 255) / 127.5 − 1 + 0.6·(b − 1)
(images of different means, so average pooling cannot wash out the input).
"""
import argparse
import hashlib
import json
import pathlib

import timm
import timm.models._hub as timm_hub
import torch

BATCH = 3

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("directories", type=pathlib.Path, nargs="+")
parser.add_argument("--fixture", type=pathlib.Path, help="also write the result to this file")
args = parser.parse_args()


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


exports = []
for directory in args.directories:
    directory = directory.resolve()
    model = timm.create_model("local-dir:" + str(directory), pretrained=True).eval()
    config = json.loads((directory / "config.json").read_text())
    channels, height, width = model.pretrained_cfg["input_size"]
    count = channels * height * width
    index = torch.arange(count, dtype=torch.int64)
    images = torch.stack([(((37 + 16 * b) * index + 101 * b) % 255).to(torch.float64) / 127.5 - 1 + 0.6 * (b - 1) for b in range(BATCH)])
    with torch.no_grad():
        logits = model(images.to(torch.float32).reshape(BATCH, channels, height, width))
    # The Hub path ("hf-hub:USER/REPO") parses config.json as local-dir does; served from the folder (offline), it
    # must give the same logits.
    served = lambda *args, filename=None, **kwargs: str(directory / (filename or args[1]))
    timm_hub.download_from_hf, timm_hub.hf_hub_download = served, served
    hub_model = timm.create_model("hf-hub:lgreg-test/export", pretrained=True).eval()
    with torch.no_grad():
        hub_equal = bool(torch.equal(hub_model(images.to(torch.float32).reshape(BATCH, channels, height, width)), logits))
    data = timm.data.resolve_data_config({}, model=model)
    exports.append({
        "pooling": config["lgreg"]["pooling"],
        "architecture": config["architecture"],
        "model_sha256": sha256(directory / "model.safetensors"),
        "config_sha256": sha256(directory / "config.json"),
        "data_config": {"input_size": list(data["input_size"]), "mean": list(data["mean"]), "std": list(data["std"]),
                        "crop_pct": data["crop_pct"], "interpolation": data["interpolation"]},
        "timm_class": type(model).__name__,
        "hf_hub_logits_equal": hub_equal and hub_model.pretrained_cfg["source"] == "hf-hub",
        "depth": len(model.blocks),
        "logits": [[round(float(x), 7) for x in row] for row in logits],
    })

result = {"timm": timm.__version__, "torch": torch.__version__, "batch": BATCH, "exports": exports}
text = json.dumps(result, indent=1) + "\n"
if args.fixture:
    args.fixture.write_text(text)
print(text, end="")
