"""Fine-tune a Des-Net of the zoo's SWS learngene in PyTorch, on whatever device there is, record it back in
lgreg, and let lgreg re-measure it.

    pip install ./python            # lgreg's Python package, beside the torch and timm you have
    python3 Examples/pytorch/finetune_desnet.py --steps 300

The learngene comes from the store (published from Registry/ when the store lacks it, or pulled from
--registry); `Store.load` builds its depth-12 Des-Net as a timm VisionTransformer holding exactly what lgreg
runs; a plain AdamW loop tunes it on Fashion-MNIST; `Store.record_finetuned` records the weights as a tuned
Des-Net whose lineage points at the learngene and the untuned Des-Net (lgreg checks every tensor and measures
the top-1 itself); `Store.verify` re-measures it as CI would. Prints the test top-1 before and after.
"""

import argparse
import pathlib
import time

import numpy as np
import torch

import lgreg
from lgreg.data import fashion_mnist, normalize

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--store", help="the store folder (default: lgreg's own, $LGREG_HOME)")
parser.add_argument("--learngene", default="fmnist-tiny-sws")
parser.add_argument("--registry", help="pull the learngene from here (HOST/REPO:TAG or oci:DIR) instead")
parser.add_argument("--depth", type=int, default=12)
parser.add_argument("--steps", type=int, default=300, help="optimizer steps")
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=1e-4)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
args = parser.parse_args()

store = lgreg.Store(args.store)
if args.registry:
    store.pull(args.registry)
elif not any(entry["name"] == args.learngene for entry in store.list(kind="learngene")):
    archive = pathlib.Path(__file__).resolve().parents[2] / "Registry" / f"{args.learngene}.lgz"
    print(f"publishing {archive}: {store.publish(archive)['reference']}")

model = store.load(args.learngene, depth=args.depth, device=args.device)
train_images, train_labels = fashion_mnist("train")
test_images, test_labels = fashion_mnist("test")
test_inputs = torch.from_numpy(normalize(test_images, model))


def test_top1():
    model.eval()
    with torch.no_grad():
        predictions = torch.cat(
            [model(batch.to(args.device)).argmax(1).cpu() for batch in test_inputs.split(1000)]
        )
    return float((predictions.numpy() == test_labels).mean())


before = test_top1()
print(f"{model.lgreg_base['base']}: test top-1 {100 * before:.2f}% untuned, on {args.device}")

generator = np.random.default_rng(args.seed)
torch.manual_seed(args.seed)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps, eta_min=args.lr / 50)
model.train()
start = time.time()
for step in range(args.steps):
    chosen = generator.choice(len(train_images), args.batch_size, replace=False)
    inputs = torch.from_numpy(normalize(train_images[chosen], model)).to(args.device)
    labels = torch.from_numpy(train_labels[chosen]).to(args.device)
    loss = torch.nn.functional.cross_entropy(model(inputs), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    if (step + 1) % max(args.steps // 5, 1) == 0:
        print(f"step {step + 1}/{args.steps}: loss {loss.item():.4f} ({time.time() - start:.1f} s)")

after = test_top1()
recipe = {
    "optimizer": "adamw", "lr": args.lr, "min_lr": args.lr / 50, "schedule": "cosine", "weight_decay": 0.05,
    "steps": args.steps, "batch_size": args.batch_size, "seed": args.seed, "device": args.device,
    "data": "fashion-mnist:train",
}
recorded = store.record_finetuned(model, recipe=recipe, top1=after)
print(f"recorded {recorded['tag']} ({recorded['digest'][:19]}): lgreg measured {100 * recorded['top1']:.2f}%")
report = store.verify(recorded["tag"])
print(f"lgreg verify {recorded['tag']}: {report['status']}")
print(f"test top-1: {100 * before:.2f}% before, {100 * after:.2f}% after {args.steps} steps")
if report["status"] != "ok":
    raise SystemExit(1)
