"""Load a Des-Net exported by `lgreg materialize … --output DIR` with timm's own loader and print its logits.

    python3 Examples/pytorch/load_in_timm.py DIR

DIR holds what a Hugging Face model repo holds (model.safetensors, config.json, README.md), so timm loads it as
it is: `timm.create_model("local-dir:" + DIR, pretrained=True)` here, `"hf-hub:USER/REPO"` once the folder is
uploaded. The script then checks that every tensor of DIR/model.safetensors is one the model has
(`load_state_dict(strict=True)`: none missing, none extra, every shape equal), builds timm's evaluation transform
from the config's `pretrained_cfg`, runs one deterministic input and prints the logits. Needs torch, timm and
safetensors (not needed by lgreg itself).

One thing timm's `config.json` cannot carry is the LayerNorm epsilon (`norm_layer` is a Python callable): timm's
ViT uses 1e-6, while a learngene imported from the authors' PyTorch code (`--layout sws-official` or
`tleg-official`) was trained with PyTorch's default 1e-5. Loading such weights with 1e-6 succeeds, strictly, and
every logit drifts. So `load` passes `norm_layer=partial(nn.LayerNorm, eps=config["lgreg"]["layerNormEps"])`, which
rebuilds the model exactly; `import load_in_timm; model, config = load_in_timm.load(DIR)` does the same from Python.
"""
import argparse
import json
import pathlib
from functools import partial

import timm
import torch
import torch.nn as nn
from safetensors.torch import load_file


def load(directory):
    """The exported model, built by timm from DIR with the LayerNorm epsilon the weights were trained with and
    checked strictly against DIR/model.safetensors; returns (model in eval mode, config, load result, state)."""
    directory = pathlib.Path(directory).resolve()
    config = json.loads((directory / "config.json").read_text())
    assert config["lgreg"]["schemaVersion"] == 2, f"unknown lgreg config version {config['lgreg']['schemaVersion']}"
    eps = config["lgreg"]["layerNormEps"]
    model = timm.create_model("local-dir:" + str(directory), pretrained=True, norm_layer=partial(nn.LayerNorm, eps=eps))
    model.eval()
    state = load_file(directory / "model.safetensors")
    result = model.load_state_dict(state, strict=True)
    return model, config, result, state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=pathlib.Path)
    parser.add_argument("--top", type=int, default=5, help="how many logits to print")
    args = parser.parse_args()
    model, config, result, state = load(args.directory)
    report(model, config, result, state, args.top)


def report(model, config, result, state, top):
    """Prints the data config, the model's shape, the strict load and the logits of one deterministic input."""
    eps = config["lgreg"]["layerNormEps"]

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
          f"{sum(p.numel() for p in model.parameters())} parameters, LayerNorm eps {eps}")
    print(f"strict load: {len(state)} tensors, missing {list(result.missing_keys)}, unexpected {list(result.unexpected_keys)}")
    print(f"lineage: {lineage['strategy']} {lineage.get('order', '')} map {lineage['layerMap']}")
    print(f"logits[:{top}] = {[round(x, 6) for x in logits[:top].tolist()]}")
    print(f"argmax = {int(logits.argmax())}, finite = {bool(torch.isfinite(logits).all())}")


if __name__ == "__main__":
    main()
