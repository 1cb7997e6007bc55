#!/usr/bin/env python3
"""Writes the timm reference fixtures the runtime tests compare lgreg's forward pass with.

Regenerate (needs torch and timm; the tests themselves do not):

    python3 Tests/LgregRuntimeTests/Python/make_runtime_fixtures.py Tests/LgregRuntimeTests/Fixtures

For each case it builds a small timm `VisionTransformer` with random weights (every tensor drawn afresh,
LayerNorm weights and biases included, so no term can hide behind a default of 1 or 0) and writes two files:

- `<case>.model.safetensors`: the model's `state_dict()` exactly as timm names it (`fc_norm.*` under avg
  pooling); for the weight-shared case, only the unique blocks as `blocks.0..M-1`, the Aux-Net layer map
  in the metadata key `layer_map`.
- `<case>.io.safetensors`: `images` [B, C, H, W] F32, `labels` [B] I64, `logits` [B, classes] F32 (timm's
  output in float32 eval mode), `loss` [] F32 (mean cross-entropy); metadata `architecture` holds lgreg's
  ViTArchitecture JSON and `depth` the number of virtual layers; for `fmnist-shape` also timm's correct
  count and mean loss on the first 256 Fashion-MNIST test images (from Debian's dataset-fashion-mnist), and its
  correct count on the first 1,000.

Pooling modes: `avg` is timm's global_pool='avg' with fc_norm (mean, then LayerNorm); `avg-norm-first` is
global_pool='avg', fc_norm=False, where timm applies `norm` to every token before the mean (the SWS Aux-Net
order); `cls` is global_pool='token' with a class token.
"""
import gzip
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from timm.models.vision_transformer import VisionTransformer

CASES = [
    # name, image, patch, channels, width, heads, depth, classes, class_token, pooling, layer_map
    ("avg", 32, 8, 3, 48, 3, 3, 10, False, "avg", None),
    ("cls", 32, 8, 3, 48, 3, 3, 10, True, "cls", None),
    ("avg-norm-first", 32, 8, 3, 48, 3, 3, 10, False, "avg-norm-first", None),
    ("avg-norm-first-cls-token", 32, 8, 3, 48, 3, 3, 10, True, "avg-norm-first", None),
    ("fmnist-shape", 28, 4, 1, 32, 2, 2, 10, False, "avg-norm-first", None),
    ("weight-shared", 32, 8, 3, 48, 3, 5, 10, False, "avg-norm-first", [0, 0, 1, 2, 2]),
]
BATCH = 4
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_IMAGES = 256


def fashion_mnist_test(count):
    """The first `count` Fashion-MNIST test images, normalized as lgreg does, and their labels."""
    images = gzip.open(FASHION_MNIST / "t10k-images-idx3-ubyte.gz").read()[16:16 + count * 784]
    labels = gzip.open(FASHION_MNIST / "t10k-labels-idx1-ubyte.gz").read()[8:8 + count]
    pixels = torch.frombuffer(bytearray(images), dtype=torch.uint8).float().reshape(count, 1, 28, 28)
    return (pixels / 255 - 0.2860) / 0.3530, torch.tensor(list(labels), dtype=torch.int64)


def build(image, patch, channels, width, heads, depth, classes, class_token, pooling):
    kwargs = dict(img_size=image, patch_size=patch, in_chans=channels, embed_dim=width, depth=depth,
                  num_heads=heads, mlp_ratio=4, num_classes=classes, class_token=class_token, qkv_bias=True)
    if pooling == "avg":
        kwargs.update(global_pool="avg", fc_norm=True)
    elif pooling == "avg-norm-first":
        kwargs.update(global_pool="avg", fc_norm=False)
    else:
        kwargs.update(global_pool="token")
    return VisionTransformer(**kwargs).eval()


def randomize(model, generator):
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("norm.weight"):
                tensor.copy_(1 + 0.3 * torch.randn(tensor.shape, generator=generator))
            elif tensor.dim() >= 2 and name not in ("pos_embed", "cls_token"):
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / fan_in ** 0.5)
            else:
                tensor.copy_(0.5 * torch.randn(tensor.shape, generator=generator))


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for index, (name, image, patch, channels, width, heads, depth, classes, class_token, pooling, layer_map) in enumerate(CASES):
        generator = torch.Generator().manual_seed(1000 + index)
        unique = depth if layer_map is None else max(layer_map) + 1
        model = build(image, patch, channels, width, heads, depth, classes, class_token, pooling)
        randomize(model, generator)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        metadata = {}
        if layer_map is not None:
            # The Aux-Net: virtual layer i runs block layer_map[i]; copy the shared blocks into timm's model.
            for i, j in enumerate(layer_map):
                model.blocks[i].load_state_dict(model.blocks[layer_map.index(j)].state_dict())
            state = {k: v.contiguous() for k, v in model.state_dict().items() if not k.startswith("blocks.")}
            for j in range(unique):
                block = model.blocks[layer_map.index(j)].state_dict()
                state.update({f"blocks.{j}.{k}": v.contiguous() for k, v in block.items()})
            metadata["layer_map"] = ",".join(map(str, layer_map))
        save_file(state, str(out / f"{name}.model.safetensors"), metadata=metadata)

        images = torch.randn((BATCH, channels, image, image), generator=generator)
        labels = torch.randint(0, classes, (BATCH,), generator=generator)
        with torch.no_grad():
            logits = model(images)
        loss = F.cross_entropy(logits, labels)
        architecture = dict(imageSize=image, patchSize=patch, inChannels=channels, width=width, heads=heads,
                            mlpRatio=4, classes=classes, classToken=class_token, pooling=pooling,
                            layerNormEps=1e-6, qkvBias=True)
        metadata = {"architecture": json.dumps(architecture), "depth": str(depth)}
        if name == "fmnist-shape":
            # Reference evaluation on real data: top-1 hits and mean loss on the first test images.
            fm_images, fm_labels = fashion_mnist_test(FASHION_MNIST_IMAGES)
            with torch.no_grad():
                fm_logits = model(fm_images)
            metadata["fashion_mnist_test_images"] = str(FASHION_MNIST_IMAGES)
            metadata["fashion_mnist_test_correct"] = str(int((fm_logits.argmax(1) == fm_labels).sum()))
            metadata["fashion_mnist_test_loss"] = repr(float(F.cross_entropy(fm_logits, fm_labels)))
            # The same model on the first 1,000 test images: the declared figure `lgreg verify` re-measures.
            fm_images, fm_labels = fashion_mnist_test(1000)
            with torch.no_grad():
                fm_logits = model(fm_images)
            metadata["fashion_mnist_test1000_correct"] = str(int((fm_logits.argmax(1) == fm_labels).sum()))
        save_file({"images": images.contiguous(), "labels": labels, "logits": logits.contiguous(), "loss": loss},
                  str(out / f"{name}.io.safetensors"), metadata=metadata)
        print(f"{name}: depth {depth}, {sum(v.numel() for v in state.values())} stored values, "
              f"logit range {logits.min():.3f}..{logits.max():.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent / "Fixtures"))
