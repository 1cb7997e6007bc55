"""Load a Des-Net exported by `lgreg materialize … --output DIR` with timm's own loader and print its logits.

    python3 Examples/pytorch/load_in_timm.py DIR

DIR holds what a Hugging Face model repo holds (model.safetensors, config.json, README.md), so timm loads it as
it is: `timm.create_model("local-dir:" + DIR, pretrained=True)` here, `"hf-hub:USER/REPO"` once the folder is
uploaded. The script then checks that every tensor of DIR/model.safetensors is one the model has
(`load_state_dict(strict=True)`: none missing, none extra, every shape equal), builds timm's evaluation transform
from the config's `pretrained_cfg`, runs one deterministic input and prints the logits. Needs torch, timm and
safetensors (not needed by lgreg itself).
"""
import argparse
import json
import pathlib

import timm
import torch
from safetensors.torch import load_file

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("directory", type=pathlib.Path)
parser.add_argument("--top", type=int, default=5, help="how many logits to print")
args = parser.parse_args()

directory = args.directory.resolve()
config = json.loads((directory / "config.json").read_text())
assert config["lgreg"]["schemaVersion"] == 2, f"unknown lgreg config version {config['lgreg']['schemaVersion']}"
model = timm.create_model("local-dir:" + str(directory), pretrained=True)
model.eval()

state = load_file(directory / "model.safetensors")
result = model.load_state_dict(state, strict=True)

data = timm.data.resolve_data_config({}, model=model)
print(f"data config: input {data['input_size']}, mean {data['mean']}, std {data['std']}, crop {data['crop_pct']}")
print(f"transform: {timm.data.create_transform(**data)}".replace("\n", " "))

a = config["model_args"]
generator = torch.Generator().manual_seed(0)
image = torch.randn(1, *data["input_size"], generator=generator)
with torch.no_grad():
    logits = model(image)[0]

lineage = config["lgreg"]["lineage"]
print(f"{config['architecture']} (model_args override its shape): depth {len(model.blocks)}, width {a['embed_dim']}, "
      f"{model.num_classes} classes, pooling {config['lgreg']['pooling']} (fc_norm={a['fc_norm']}), "
      f"{sum(p.numel() for p in model.parameters())} parameters")
print(f"strict load: {len(state)} tensors, missing {list(result.missing_keys)}, unexpected {list(result.unexpected_keys)}")
print(f"lineage: {lineage['strategy']} {lineage.get('order', '')} map {lineage['layerMap']}")
print(f"logits[:{args.top}] = {[round(x, 6) for x in logits[:args.top].tolist()]}")
print(f"argmax = {int(logits.argmax())}, finite = {bool(torch.isfinite(logits).all())}")
