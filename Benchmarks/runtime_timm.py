#!/usr/bin/env python3
"""timm's side of the runtime benchmark: the same random-weight ViT, the same batches, the same threads.

    python3 Benchmarks/runtime_timm.py --model deit-small --batches 1,16 --threads 2

Prints one JSON object per line with the same fields as lgreg-bench-runtime (GFLOP/s uses the same multiply-accumulate
count, passed in by Benchmarks/runtime.sh). Exits 3 with a note when torch or timm is missing.
"""
import argparse
import json
import resource
import sys
import time

try:
    import torch
    from timm.models.vision_transformer import VisionTransformer
except ImportError as error:
    print(f"runtime_timm.py: skipped, {error}", file=sys.stderr)
    sys.exit(3)

PRESETS = {  # lgreg's presets in SWS form: no class token, norm on every token, then the mean.
    "deit-tiny": dict(img_size=224, patch_size=16, in_chans=3, embed_dim=192, num_heads=3, num_classes=1000),
    "deit-small": dict(img_size=224, patch_size=16, in_chans=3, embed_dim=384, num_heads=6, num_classes=1000),
    "deit-base": dict(img_size=224, patch_size=16, in_chans=3, embed_dim=768, num_heads=12, num_classes=1000),
    "fmnist-tiny": dict(img_size=28, patch_size=4, in_chans=1, embed_dim=64, num_heads=2, num_classes=10),
    "fmnist-small": dict(img_size=28, patch_size=4, in_chans=1, embed_dim=128, num_heads=4, num_classes=10),
    "fmnist-base": dict(img_size=28, patch_size=4, in_chans=1, embed_dim=192, num_heads=3, num_classes=10),
}

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="deit-small")
parser.add_argument("--depth", type=int, default=12)
parser.add_argument("--batches", default="1,16")
parser.add_argument("--threads", type=int)
parser.add_argument("--seconds", type=float, default=3.0)
parser.add_argument("--macs", type=int, required=True, help="multiply-accumulates per image (lgreg's accounting)")
args = parser.parse_args()

if args.threads:
    torch.set_num_threads(args.threads)
model = VisionTransformer(depth=args.depth, class_token=False, global_pool="avg", fc_norm=False,
                          **PRESETS[args.model]).eval()
config = PRESETS[args.model]
batches = [int(b) for b in args.batches.split(",")]
images = torch.randn(max(batches), config["in_chans"], config["img_size"], config["img_size"])

with torch.inference_mode():
    for batch in batches:
        x = images[:batch].contiguous()
        model(x)  # warm-up
        calls, fastest, start, cpu_start = 0, float("inf"), time.perf_counter(), time.process_time()
        while (elapsed := time.perf_counter() - start) < args.seconds or calls < 3:
            before = time.perf_counter()
            model(x)
            fastest = min(fastest, time.perf_counter() - before)
            calls += 1
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        print(json.dumps({"side": "timm", "model": args.model, "depth": args.depth, "batch": batch,
                          "threads": torch.get_num_threads(), "imagesPerSecond": calls * batch / elapsed,
                          "bestImagesPerSecond": batch / fastest, "imagesPerCPUSecond": calls * batch / cpu,
                          "gflopsPerSecond": batch / fastest * 2 * args.macs / 1e9, "seconds": elapsed,
                          "peakRSSMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, sort_keys=True),
              flush=True)
