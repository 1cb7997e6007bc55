"""Round trip: load → a few optimizer steps → record_finetuned → `lgreg verify` re-measures it; and the refusals,
each with its exact message, leaving the store as it was."""

import os
import re

import numpy as np
import pytest
import torch

import lgreg
from lgreg.data import fashion_mnist, normalize

from store_support import LEARNGENE, run_lgreg

BASE_TAG = f"{LEARNGENE}-d12:2-cyclic-front-mid-last"


def tune(model, steps=4, batch=32):
    """A few AdamW steps on the first training images, as a user's loop would."""
    images, labels = fashion_mnist("train")
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    for step in range(steps):
        x = torch.from_numpy(normalize(images[step * batch:(step + 1) * batch], model))
        y = torch.from_numpy(labels[step * batch:(step + 1) * batch])
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def top1(model):
    images, labels = fashion_mnist("test")
    with torch.no_grad():
        predictions = torch.cat(
            [model(torch.from_numpy(normalize(images[i:i + 1000], model))).argmax(1) for i in range(0, 10000, 1000)]
        )
    return float((predictions.numpy() == labels).mean())


def test_round_trip(zoo_store, lgreg_bin, tmp_path):
    model = tune(zoo_store.load(LEARNGENE, depth=12))
    assert model.lgreg_base == {"base": BASE_TAG}
    reached = top1(model)
    recorded = zoo_store.record_finetuned(model, recipe={"optimizer": "adamw", "lr": 1e-4, "steps": 4}, top1=reached)
    # lgreg measures the same images with its own kernels: the same top-1 to a few images in 10,000.
    assert abs(recorded["top1"] - reached) <= 0.0005, (recorded["top1"], reached)
    assert recorded["tag"].startswith(BASE_TAG + "-tuned-") and recorded["images"] == 10000
    shown = zoo_store.show(recorded["tag"])
    assert shown["entry"] == "tuned"
    verify = run_lgreg(lgreg_bin, zoo_store.path, "verify", recorded["tag"])
    assert verify.returncode == 0, verify.stdout + verify.stderr
    report = zoo_store.verify(recorded["tag"])
    assert report["status"] == "ok"
    lineage = run_lgreg(lgreg_bin, zoo_store.path, "show", LEARNGENE, "--lineage")
    assert recorded["tag"] in lineage.stdout, lineage.stdout
    # The recipe is stored as given, and the weights are what was tuned.
    config = run_lgreg(lgreg_bin, zoo_store.path, "show", recorded["tag"])
    assert '{"lr":0.0001,"optimizer":"adamw","steps":4}' in config.stdout, config.stdout
    stored = zoo_store.state_dict(recorded["tag"])
    assert torch.equal(stored["blocks.3.attn.qkv.weight"], model.state_dict()["blocks.3.attn.qkv.weight"])
    # Its export's card is one the Hub reads whole: the recorded top-1 in model-index, the recipe as given.
    os.environ["HF_HUB_OFFLINE"] = "1"
    from huggingface_hub import ModelCard
    folder = tmp_path / "export"
    assert run_lgreg(lgreg_bin, zoo_store.path, "export", recorded["tag"], "-o", str(folder)).returncode == 0
    card = ModelCard.load(folder / "README.md")
    result = card.data.eval_results[0]
    assert abs(result.metric_value - recorded["top1"]) < 1e-9 and "fine-tuned elsewhere" in result.metric_name
    assert '"optimizer":"adamw"' in card.text


def test_learngene_base_with_depth(zoo_store):
    """A state dict with `base=` a learngene and `depth=`: the untuned Des-Net is recorded, the tuned one too."""
    state = zoo_store.state_dict(LEARNGENE, depth=8, order="mid-front-last")
    recorded = zoo_store.record_finetuned(state, base=LEARNGENE, depth=8, order="mid-front-last", tag="mine:d8")
    assert recorded["tag"] == "mine:d8" and recorded["depth"] == 8
    assert zoo_store.show(recorded["untunedDesNet"])["entry"] == "desnet"


def refused(store, state, **where):
    before = [e["reference"] for e in store.list()]
    with pytest.raises(lgreg.LgregError) as caught:
        store.record_finetuned(state, **where)
    assert [e["reference"] for e in store.list()] == before, "a refused record changed the store"
    return caught.value


def test_wrong_shape(zoo_store):
    state = zoo_store.state_dict(BASE_TAG)
    state["head.weight"] = torch.zeros(11, 64)
    error = refused(zoo_store, state, base=BASE_TAG)
    assert error.exit_code == 65
    assert re.fullmatch(
        r"/\S+/model\.safetensors: tensor 'head\.weight' has shape \[11, 64\]; the base has \[10, 64\] "
        rf"\(base {re.escape(BASE_TAG)}\); nothing was recorded", error.message), error.message


def test_missing_tensor(zoo_store):
    state = zoo_store.state_dict(BASE_TAG)
    del state["blocks.11.mlp.fc2.bias"]
    error = refused(zoo_store, state, base=BASE_TAG)
    assert error.exit_code == 65
    assert error.message.endswith(
        ": tensor 'blocks.11.mlp.fc2.bias' is missing (the base has it with shape [64], F32) "
        f"(base {BASE_TAG}); nothing was recorded"), error.message


def test_wrong_dtype(zoo_store):
    state = zoo_store.state_dict(BASE_TAG)
    state["pos_embed"] = state["pos_embed"].half()
    error = refused(zoo_store, state, base=BASE_TAG)
    assert error.exit_code == 65
    assert error.message.endswith(
        ": tensor 'pos_embed' is F16; the base holds it as F32 (save it as F32: .float()) "
        f"(base {BASE_TAG}); nothing was recorded"), error.message


def test_base_not_in_store(zoo_store):
    state = zoo_store.state_dict(BASE_TAG)
    error = refused(zoo_store, state, base="no-such-learngene:1", depth=12)
    assert error.exit_code == 64
    assert error.message == (
        "'no-such-learngene:1' names nothing lgreg can read: no store entry matches it (see `lgreg list`), "
        "and no file or folder has that name"), error.message


def test_claimed_top1_checked(zoo_store):
    state = zoo_store.state_dict(BASE_TAG)
    error = refused(zoo_store, state, base=BASE_TAG, top1=0.01)
    assert error.exit_code == 1
    assert re.fullmatch(
        r"/\S+/model\.safetensors: the given top-1 0\.0100 differs from lgreg's 0\.\d{4} on fashion-mnist:test "
        r"by more than 0\.0050; nothing was recorded", error.message), error.message


def test_no_base_carried(zoo_store):
    error = refused(zoo_store, zoo_store.state_dict(BASE_TAG))
    assert (error.exit_code, error.message) == (
        64, "no base: pass base= (a recorded Des-Net, or a learngene with depth=), "
        "or record a module that Store.load returned")


def test_no_lgreg_binary(monkeypatch, tmp_path):
    monkeypatch.delenv("LGREG_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(lgreg.LgregError) as caught:
        lgreg.Store(tmp_path / "store").list()
    assert (caught.value.exit_code, caught.value.message) == (
        127, "no lgreg binary: put lgreg on PATH or set LGREG_BIN "
        "(build it with `swift build -c release --product lgreg`)")
