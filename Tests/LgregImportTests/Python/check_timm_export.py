"""Loads a Des-Net folder lgreg exported (model.safetensors + config.json) into timm strictly and compares its
logits with the ones a fixture io file stores (pip install torch timm safetensors).

    python Tests/LgregImportTests/Python/check_timm_export.py d14 Tests/LgregImportTests/Fixtures/sws-aux.io.safetensors d14_logits

It builds `timm.models.vision_transformer.VisionTransformer` from config.json's model_args, with the LayerNorm
epsilon lgreg records (`lgreg.layerNormEps`), loads with strict=True (any missing or extra key fails), and exits 1
when a logit differs from the stored one by more than 1e-4.
"""
import json
import os
import sys
from functools import partial

import torch
import torch.nn as nn
from safetensors.torch import load_file
from timm.models.vision_transformer import VisionTransformer


def main(folder, io_path, key):
    config = json.load(open(os.path.join(folder, "config.json")))
    model = VisionTransformer(num_classes=config["num_classes"], norm_layer=partial(nn.LayerNorm, eps=config["lgreg"]["layerNormEps"]),
                              **config["model_args"]).eval()
    model.load_state_dict(load_file(os.path.join(folder, "model.safetensors")), strict=True)
    io = load_file(io_path)
    with torch.no_grad():
        logits = model(io["images"])
    error = (logits - io[key]).abs().max().item()
    print(f"timm loaded {folder} strictly ({len(model.state_dict())} tensors); max |timm - fixture| = {error:.2e}")
    return 0 if error <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
