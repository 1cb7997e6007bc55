"""Load a Des-Net exported by `lgreg materialize … --output DIR` into timm and print its logits.

    python3 Examples/pytorch/load_in_timm.py DIR

Builds the model from DIR/config.json exactly as timm would (`timm.create_model(architecture, num_classes=…,
**model_args)`, or `VisionTransformer(**model_args)` for `vit_custom`), loads DIR/model.safetensors with
`load_state_dict(strict=True)` (every key present, none extra, every shape equal), runs one deterministic
input through it and prints the logits. Needs torch, timm and safetensors (not needed by lgreg itself).
"""
import argparse
import json
import pathlib

import timm
import torch
from safetensors.torch import load_file
from timm.models.vision_transformer import VisionTransformer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("directory", type=pathlib.Path)
parser.add_argument("--top", type=int, default=5, help="how many logits to print")
args = parser.parse_args()

config = json.loads((args.directory / "config.json").read_text())
assert config["lgreg"]["schemaVersion"] == 1, f"unknown lgreg config version {config['lgreg']['schemaVersion']}"
model_args = dict(config["model_args"], num_classes=config["num_classes"])
if config["architecture"] == "vit_custom":
    model = VisionTransformer(**model_args)
else:
    model = timm.create_model(config["architecture"], pretrained=False, **model_args)

state = load_file(args.directory / "model.safetensors")
result = model.load_state_dict(state, strict=True)
model.eval()

a = model_args
generator = torch.Generator().manual_seed(0)
image = torch.randn(1, a["in_chans"], a["img_size"], a["img_size"], generator=generator)
with torch.no_grad():
    logits = model(image)[0]

lineage = config["lgreg"]["lineage"]
print(f"{config['architecture']}: depth {a['depth']}, width {a['embed_dim']}, {config['num_classes']} classes, "
      f"pooling {config['lgreg']['pooling']} (fc_norm={a['fc_norm']}), "
      f"{sum(p.numel() for p in model.parameters())} parameters")
print(f"strict load: {len(state)} tensors, missing {list(result.missing_keys)}, unexpected {list(result.unexpected_keys)}")
print(f"lineage: {lineage['strategy']} {lineage.get('order', '')} map {lineage['layerMap']}")
print(f"logits[:{args.top}] = {[round(x, 6) for x in logits[:args.top].tolist()]}")
print(f"argmax = {int(logits.argmax())}, finite = {bool(torch.isfinite(logits).all())}")
