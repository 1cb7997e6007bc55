"""What needs torch and timm: building the timm model of an export folder, saving a state dict. Imported only
by the functions that need them, so the rest of the package runs without torch."""

from __future__ import annotations

import functools
import json
import pathlib

from ._cli import LgregError


def timm_model(folder: pathlib.Path):
    """The timm `VisionTransformer` of an lgreg export folder (config.json, model.safetensors), built from the
    config's architecture and model_args with the model's own LayerNorm epsilon, its weights loaded strictly."""
    import timm
    import torch
    from safetensors.torch import load_file

    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    section = config.get("lgreg", {})
    if section.get("schemaVersion") != 2:
        raise LgregError(
            65, f"{config_path}: lgreg.schemaVersion is {section.get('schemaVersion')}; this package reads 2"
        )
    # timm's config.json cannot say the LayerNorm epsilon; timm's ViT builds 1e-6, lgreg records the model's own.
    norm_layer = functools.partial(torch.nn.LayerNorm, eps=float(section["layerNormEps"]))
    model = timm.create_model(
        config["architecture"], pretrained=False, num_classes=config["num_classes"], norm_layer=norm_layer,
        **config["model_args"],
    )
    model.load_state_dict(load_file(str(folder / "model.safetensors")), strict=True)
    model.pretrained_cfg = {**getattr(model, "pretrained_cfg", {}), **config.get("pretrained_cfg", {})}
    return model


def save_state_dict(model_or_state_dict, path: pathlib.Path) -> str:
    """Writes a module's `state_dict()` (or a state dict) as safetensors, every tensor detached, on the CPU and
    contiguous; returns what trained it (`torch 2.5.1`)."""
    import torch
    from safetensors.torch import save_file

    state = model_or_state_dict.state_dict() if hasattr(model_or_state_dict, "state_dict") else model_or_state_dict
    if not isinstance(state, dict):
        raise LgregError(64, f"record_finetuned takes a torch module or a state dict, not {type(state).__name__}")
    tensors = {}
    for name, tensor in state.items():
        if not isinstance(tensor, torch.Tensor):
            raise LgregError(64, f"state dict entry '{name}' is a {type(tensor).__name__}, not a tensor")
        tensors[name] = tensor.detach().to("cpu").contiguous()
    save_file(tensors, str(path))
    return f"torch {torch.__version__}"
