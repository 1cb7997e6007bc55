"""`Store.load` builds exactly what lgreg runs: its logits equal `lgreg eval --logits`'s for each entry kind."""

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from lgreg.data import fashion_mnist, normalize

from store_support import LEARNGENE, TUNED, run_lgreg

IMAGES = 256
#: Largest absolute difference allowed between lgreg's logits (OpenBLAS) and timm's (PyTorch), both in F32.
TOLERANCE = 1e-5


def torch_logits(model):
    images, _ = fashion_mnist("test")
    with torch.no_grad():
        return model(torch.from_numpy(normalize(images[:IMAGES], model))).numpy()


def lgreg_logits(lgreg_bin, store, tmp_path, *reference):
    out = tmp_path / "logits.safetensors"
    run = run_lgreg(lgreg_bin, store.path, "eval", *reference, "--limit", str(IMAGES), "--logits", str(out))
    assert run.returncode == 0, run.stderr
    return load_file(str(out))["logits"]


def assert_close(ours, theirs, what):
    assert ours.shape == theirs.shape == (IMAGES, 10), what
    worst = float(np.abs(ours - theirs).max())
    assert worst <= TOLERANCE, f"{what}: logits differ by up to {worst:.2e} (tolerance {TOLERANCE:.0e})"


@pytest.mark.parametrize(
    "reference, options",
    [
        ((LEARNGENE, "--depth", "9"), {"depth": 9}),
        ((LEARNGENE, "--depth", "12", "--strategy", "random", "--seed", "3"),
         {"depth": 12, "strategy": "random", "seed": 3}),
    ],
)
def test_learngene_at_a_depth(zoo_store, lgreg_bin, tmp_path, reference, options):
    model = zoo_store.load(reference[0], **options)
    assert type(model).__name__ == "VisionTransformer" and not model.training
    assert_close(torch_logits(model), lgreg_logits(lgreg_bin, zoo_store, tmp_path, *reference), str(options))
    assert model.lgreg_base["base"].startswith(f"{LEARNGENE}-d{options['depth']}:")


def test_recorded_desnet(zoo_store, lgreg_bin, tmp_path):
    made = run_lgreg(lgreg_bin, zoo_store.path, "materialize", LEARNGENE, "--depth", "7", "--order", "last-mid-front")
    assert made.returncode == 0, made.stderr
    desnet = next(e for e in zoo_store.list(kind="desnet") if e["reference"].endswith("cyclic-last-mid-front"))
    model = zoo_store.load(desnet["reference"])
    assert model.lgreg_base == {"base": desnet["digest"]}
    assert_close(torch_logits(model), lgreg_logits(lgreg_bin, zoo_store, tmp_path, desnet["reference"]), "Des-Net")


def test_tuned_desnet(zoo_store, lgreg_bin, tmp_path):
    model = zoo_store.load(TUNED)
    assert model.lgreg_base is None
    assert_close(torch_logits(model), lgreg_logits(lgreg_bin, zoo_store, tmp_path, TUNED), "tuned Des-Net")


def test_state_dict_is_what_load_holds(zoo_store):
    model = zoo_store.load(LEARNGENE, depth=6)
    tensors = zoo_store.state_dict(LEARNGENE, depth=6)
    held = model.state_dict()
    assert sorted(tensors) == sorted(held)
    for name, tensor in tensors.items():
        assert torch.equal(tensor, held[name]), name
    arrays = zoo_store.state_dict(LEARNGENE, depth=6, framework="np")
    assert np.array_equal(arrays["head.weight"], tensors["head.weight"].numpy())


def test_layer_norm_epsilon_is_the_models(zoo_store, tmp_path, lgreg_bin):
    """An export whose config says eps 1e-5 builds LayerNorms of 1e-5, which timm's config alone would not."""
    model = zoo_store.load(LEARNGENE, depth=6)
    assert {m.eps for m in model.modules() if isinstance(m, torch.nn.LayerNorm)} == {1e-6}
    out = tmp_path / "export"
    assert run_lgreg(lgreg_bin, zoo_store.path, "materialize", LEARNGENE, "--depth", "6", "--output", str(out)).returncode == 0
    import json
    config = json.loads((out / "config.json").read_text())
    config["lgreg"]["layerNormEps"] = 1e-5
    (out / "config.json").write_text(json.dumps(config))
    from lgreg._torch import timm_model
    rebuilt = timm_model(out)
    assert {m.eps for m in rebuilt.modules() if isinstance(m, torch.nn.LayerNorm)} == {1e-5}
