"""Writes Fixtures/timm-state-dict.json: the state_dict keys and shapes timm's VisionTransformer has for the
small configurations the resolver tests export, so CI (which has no torch) checks lgreg's export against
timm's own naming.

Run from the repository root with torch and timm installed:
    python3 Tests/LgregResolverTests/Python/timm_fixture.py
"""
import json
import pathlib

import timm
import torch
from timm.models.vision_transformer import VisionTransformer

# The resolver tests' MemorySource.tiny at depth 3: 8×8×1 images, 4×4 patches, width 8, 2 heads, 3 classes,
# no class token, average pooling; `fc_norm` False (norm → pool) and True (pool → norm).
BASE = dict(img_size=8, patch_size=4, in_chans=1, embed_dim=8, depth=3, num_heads=2, mlp_ratio=4.0,
            qkv_bias=True, class_token=False, global_pool="avg", num_classes=3)

configs = []
for fc_norm in (False, True):
    args = dict(BASE, fc_norm=fc_norm)
    model = VisionTransformer(**args)
    configs.append({
        "model_args": args,
        "state_dict": [[name, list(tensor.shape)] for name, tensor in model.state_dict().items()],
    })

out = pathlib.Path(__file__).resolve().parent.parent / "Fixtures" / "timm-state-dict.json"
# One state_dict entry per line, so a diff of the fixture reads as a diff of timm's naming.
lines = [f'{{"timm": {json.dumps(timm.__version__)}, "torch": {json.dumps(torch.__version__)}, "configs": [']
for index, config in enumerate(configs):
    entries = ",\n".join("  " + json.dumps(entry) for entry in config["state_dict"])
    lines.append(f' {{"model_args": {json.dumps(config["model_args"])}, "state_dict": [\n{entries}\n ]}}'
                 + ("," if index < len(configs) - 1 else ""))
lines.append("]}")
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out}")
