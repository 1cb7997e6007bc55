"""Issue 24: a LayerNorm epsilon timm's config cannot express, rebuilt exactly.

The authors' SWS Aux-Nets use PyTorch's default LayerNorm epsilon (1e-5); timm's ViT uses 1e-6, and `config.json`
has no field for it (`norm_layer` is a callable). An `sws-official` import, materialized at depth 14 and exported,
must give the logits the authors' own depth-14 Des-Net gives (the fixture's `d14_logits`, computed by PyTorch with
eps 1e-5) to 1e-6, both through `Examples/pytorch/load_in_timm.py` and through the code the model card prints.

    LGREG_BIN=.build/release/lgreg /tmp/torchenv/bin/python -m pytest Tests/PyTorch
"""
import importlib.util
import os
import pathlib
import re
import subprocess

import pytest
import torch
from safetensors.torch import load_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "LgregImportTests" / "Fixtures"
TOLERANCE = 1e-6


def lgreg(*arguments, home):
    binary = os.environ.get("LGREG_BIN", str(ROOT / ".build" / "release" / "lgreg"))
    result = subprocess.run([binary, *map(str, arguments)], capture_output=True, text=True,
                            env={**os.environ, "LGREG_HOME": str(home)})
    assert result.returncode == 0, f"lgreg {' '.join(map(str, arguments))}: {result.stderr}"
    return result


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The fixture's SWS checkpoint imported as the authors' layout, its depth-14 Des-Net exported for timm."""
    folder = tmp_path_factory.mktemp("eps")
    lgreg("import", FIXTURES / "sws-aux.pth", "--layout", "sws-official", "--heads", "2", "-o", folder / "aux.lgz",
          home=folder / "store")
    lgreg("materialize", folder / "aux.lgz", "--depth", "14", "--output", folder / "d14", home=folder / "store")
    return folder / "d14"


@pytest.fixture(scope="module")
def io():
    return load_file(FIXTURES / "sws-aux.io.safetensors")


def load_example():
    spec = importlib.util.spec_from_file_location("load_in_timm", ROOT / "Examples" / "pytorch" / "load_in_timm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logits(model, images):
    with torch.no_grad():
        return model(images)


def test_config_records_the_authors_epsilon(export):
    import json
    config = json.loads((export / "config.json").read_text())
    assert config["lgreg"]["layerNormEps"] == pytest.approx(1e-5, rel=0, abs=1e-12)


def test_example_loader_rebuilds_the_model_exactly(export, io):
    model, config, result, _ = load_example().load(export)
    assert not result.missing_keys and not result.unexpected_keys
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert norms and all(m.eps == pytest.approx(1e-5, rel=0, abs=1e-12) for m in norms)
    error = (logits(model, io["images"]) - io["d14_logits"]).abs().max().item()
    assert error <= TOLERANCE, f"max |timm - authors' PyTorch| = {error:.2e}"


def test_plain_timm_drifts_without_the_epsilon(export, io):
    """What the loader guards against: timm's default 1e-6 loads strictly, and the logits move past 1e-6."""
    import timm
    model = timm.create_model("local-dir:" + str(export), pretrained=True).eval()
    error = (logits(model, io["images"]) - io["d14_logits"]).abs().max().item()
    assert error > TOLERANCE, f"timm's default epsilon gave {error:.2e}; this test could not fail"


def test_model_card_code_rebuilds_the_model_exactly(export, io):
    card = (export / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", card, re.S)
    assert block, "the card has no Python block"
    code = block.group(1).replace("PATH/TO/THIS/FOLDER", str(export))
    assert "eps=1e-05" in code, code
    scope = {}
    exec(code, scope)
    error = (logits(scope["model"], io["images"]) - io["d14_logits"]).abs().max().item()
    assert error <= TOLERANCE, f"the card's code: max |timm - authors' PyTorch| = {error:.2e}"
