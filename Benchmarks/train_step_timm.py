#!/usr/bin/env python3
"""PyTorch's side of the training-step benchmark: timm's VisionTransformer with the same arguments as
lgreg-bench-train (28x28x1, patch 4, no class token, global_pool='avg'), the same batch, AdamW, the same
thread count. Prints one JSON object: the median milliseconds per step and images/s.

    python3 Benchmarks/train_step_timm.py --width 192 --heads 3 --depth 12 --batch 128 --threads 2 --seconds 10

Exits 3 with a note when torch or timm is missing.
"""
import argparse
import json
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from timm.models.vision_transformer import VisionTransformer
except ImportError as error:
    print(f"train_step_timm.py: skipped, {error}", file=sys.stderr)
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--width", type=int, default=192)
parser.add_argument("--heads", type=int, default=3)
parser.add_argument("--depth", type=int, default=12)
parser.add_argument("--batch", type=int, default=128)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seconds", type=float, default=10.0)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(0)
model = VisionTransformer(img_size=28, patch_size=4, in_chans=1, num_classes=10, embed_dim=args.width, depth=args.depth,
                          num_heads=args.heads, class_token=False, global_pool="avg").train()
decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and n != "pos_embed"]
rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and n != "pos_embed")]
optimizer = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=rest, weight_decay=0.0)], lr=5e-4)
images = torch.rand(args.batch, 1, 28, 28) * 2 - 1
labels = torch.randint(0, 10, (args.batch,))


def step():
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad(set_to_none=False)
    loss.backward()
    optimizer.step()


for _ in range(2):
    step()
times = []
start = time.perf_counter()
while len(times) < 3 or time.perf_counter() - start < args.seconds:
    t0 = time.perf_counter()
    step()
    times.append((time.perf_counter() - t0) * 1000)
median = sorted(times)[len(times) // 2]
print(json.dumps({"side": "pytorch", "width": args.width, "depth": args.depth, "batch": args.batch, "threads": torch.get_num_threads(),
                  "steps": len(times), "msPerStep": round(median, 2), "imagesPerSecond": round(args.batch * 1000 / median, 1),
                  "torch": torch.__version__}))
