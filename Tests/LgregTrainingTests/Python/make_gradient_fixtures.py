#!/usr/bin/env python3
"""PyTorch autograd fixtures for lgreg's training backward pass.

Builds tiny timm VisionTransformers (plain, stage-wise weight sharing, TLEG), runs one batch through them in
float64 and writes, per case, one safetensors file holding the weights (lgreg names: a learngene of M layers as
blocks.0..M-1), the batch, the teacher logits, the student logits, the loss, EVERY gradient (grad.<name>) and
the weights after two AdamW steps on the same batch (step2.<name>). The __metadata__ carries the magic
"lgreg-gradient-fixture", a version and the case's configuration as JSON.

Run from the repository root (needs torch and timm; CI does not run it, the files are committed):
    python3 Tests/LgregTrainingTests/Python/make_gradient_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from timm.models.vision_transformer import VisionTransformer
from torch.func import functional_call

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Fixtures")

ARCH = dict(imageSize=8, patchSize=4, inChannels=1, width=8, heads=2, mlpRatio=4, classes=3, layerNormEps=1e-6, qkvBias=True)
BATCH = 3
LR, WEIGHT_DECAY = 1e-2, 0.05

CASES = [
    # name, mode, stage schedule (virtual layers per stored layer), class token, pooling, alpha, tau, smoothing
    dict(name="sws", mode="sws", schedule=[2, 1, 2], classToken=False, pooling="avg-norm-first", alpha=0.5, tau=2.0, smoothing=0.1),
    dict(name="plain-cls", mode="plain", schedule=[1, 1], classToken=True, pooling="cls", alpha=0.0, tau=1.0, smoothing=0.0),
    dict(name="tleg", mode="tleg", schedule=[3], classToken=False, pooling="avg", alpha=1.0, tau=1.0, smoothing=0.0),
]


def build(case):
    depth = sum(case["schedule"])
    pool = {"avg-norm-first": ("avg", False), "avg": ("avg", True), "cls": ("token", None)}[case["pooling"]]
    model = VisionTransformer(
        img_size=ARCH["imageSize"], patch_size=ARCH["patchSize"], in_chans=ARCH["inChannels"], num_classes=ARCH["classes"],
        embed_dim=ARCH["width"], depth=depth, num_heads=ARCH["heads"], mlp_ratio=ARCH["mlpRatio"], qkv_bias=True,
        class_token=case["classToken"], global_pool=pool[0], fc_norm=pool[1], drop_path_rate=0.0)
    return model.double()


def randomize(model, generator):
    """Random weights far from timm's init so every gradient is large, rounded to float32."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator, dtype=torch.float64)
            base = 1.0 if (name.endswith("weight") and p.dim() == 1) else 0.0
            p.copy_((base + 0.3 * noise).float().double())


def lgreg_name(name):
    return name.replace("fc_norm.", "norm.")


def run_case(case, seed):
    g = torch.Generator().manual_seed(seed)
    schedule, mode = case["schedule"], case["mode"]
    depth = sum(schedule)
    stage_of_layer = [s for s, n in enumerate(schedule) for _ in range(n)]
    model = build(case)
    randomize(model, g)
    stored = len(schedule) if mode != "tleg" else 2
    # Stored layers: the first `stored` blocks' parameters (TLEG: blocks.0 = theta_A, blocks.1 = theta_B).
    template = model.blocks[0]
    layers = [model.blocks[i] for i in range(stored)]
    block_names = [n for n, _ in template.named_parameters()]

    def blocks_forward(x):
        for layer in range(depth):
            if mode == "tleg":
                frac = layer / depth
                params = {n: dict(layers[0].named_parameters())[n] + frac * dict(layers[1].named_parameters())[n] for n in block_names}
                x = functional_call(template, params, (x,))
            else:
                x = layers[stage_of_layer[layer]](x)
        return x

    def forward(images):
        x = model.patch_embed(images)
        x = model._pos_embed(x)
        x = model.norm_pre(x)
        x = blocks_forward(x)
        x = model.norm(x)
        return model.forward_head(x)

    params = {}
    for name, p in model.named_parameters():
        if name.startswith("blocks."):
            index = int(name.split(".")[1])
            if index >= stored:
                continue
        params[lgreg_name(name)] = p

    images = torch.randn((BATCH, ARCH["inChannels"], ARCH["imageSize"], ARCH["imageSize"]), generator=g, dtype=torch.float64).float().double()
    labels = torch.randint(0, ARCH["classes"], (BATCH,), generator=g)
    teacher = (2 * torch.randn((BATCH, ARCH["classes"]), generator=g, dtype=torch.float64)).float().double()

    def loss_of(logits):
        alpha, tau = case["alpha"], case["tau"]
        ce = F.cross_entropy(logits, labels, label_smoothing=case["smoothing"])
        kd = F.kl_div(F.log_softmax(logits / tau, dim=1), F.log_softmax(teacher / tau, dim=1),
                      reduction="sum", log_target=True) * tau * tau / logits.numel()
        return (1 - alpha) * ce + alpha * kd

    weights = {n: p.detach().float().clone() for n, p in params.items()}
    logits = forward(images)
    loss = loss_of(logits)
    loss.backward()
    grads = {f"grad.{n}": p.grad.detach().float().clone() for n, p in params.items()}

    no_decay = lambda n: n.endswith(".bias") or ".norm" in n or n.startswith("norm.") or n in ("pos_embed", "cls_token")
    groups = [dict(params=[p for n, p in params.items() if not no_decay(n)], weight_decay=WEIGHT_DECAY),
              dict(params=[p for n, p in params.items() if no_decay(n)], weight_decay=0.0)]
    optimizer = torch.optim.AdamW(groups, lr=LR)
    optimizer.step()
    optimizer.zero_grad()
    loss_of(forward(images)).backward()
    optimizer.step()
    step2 = {f"step2.{n}": p.detach().float().clone() for n, p in params.items()}

    tensors = dict(weights)
    tensors.update(grads)
    tensors.update(step2)
    tensors["input.images"] = images.float()
    tensors["input.labels"] = labels.long()
    tensors["input.teacher_logits"] = teacher.float()
    tensors["output.logits"] = logits.detach().float()
    tensors["output.loss"] = loss.detach().float().reshape(1)
    config = dict(ARCH, classToken=case["classToken"], pooling=case["pooling"], mode=mode, schedule=schedule,
                  alpha=case["alpha"], tau=case["tau"], smoothing=case["smoothing"], learningRate=LR, weightDecay=WEIGHT_DECAY,
                  torch=torch.__version__)
    meta = {"magic": "lgreg-gradient-fixture", "version": "1", "config": json.dumps(config, sort_keys=True)}
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, f"{case['name']}.safetensors"), metadata=meta)
    print(case["name"], "loss", float(loss), "tensors", len(tensors))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for i, case in enumerate(CASES):
        run_case(case, seed=100 + i)
