"""Makes the fixtures of LgregImportTests with PyTorch and timm (pip install torch timm safetensors).

Run from the repository root: python Tests/LgregImportTests/Python/make_import_fixtures.py
Writes small checkpoints into Tests/LgregImportTests/Fixtures/, each beside a `*.io.safetensors` holding the input
images and the logits PyTorch computes from them:

- sws-aux.pth: an SWS Aux-Net checkpoint dict as the official training script saves it (model, optimizer,
  lr_scheduler, epoch, model_ema, scaler, args as an argparse.Namespace), built by a module that reproduces the
  official key layout (blocks.block.<part>.instances.<stage>.<param>), schedule 3,3,4,3,3. Its io file also holds
  the depth-14 Des-Net timm builds from it by the official loader rule (cyclic map, norm then mean), loaded strictly,
  with that Des-Net's state dict (`d14.*`) and logits.
- tleg-aux.pth: a TLEG Aux-Net of depth 12 (θ_A as *_base, θ_B as *_ilayer), in a checkpoint dict.
- timm-cls.pth: torch.save(model.state_dict()) of a timm VisionTransformer with a class token.
- timm-views.pth: a timm ViT (avg pooling, fc_norm) whose tensors share one storage, head.weight a transposed
  (non-contiguous) view of it.
- timm-f16-protocol4.pth: a timm ViT in float16, saved with pickle protocol 4.
- legacy.pth: a state dict saved in the pre-1.6 (not zip) format.
- hostile-*.pth: the hostile checkpoints of the tests, written opcode by opcode.
- whole-model.pth: torch.save(model) of a small nn.Module, not its state dict.
"""
import argparse
import io
import math
import os
import struct
import sys
import zipfile
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Fixtures")
IMG, PATCH, CHANS, WIDTH, HEADS, CLASSES = 16, 4, 3, 16, 2, 10
TOKENS = (IMG // PATCH) ** 2
SCHEDULE = [3, 3, 4, 3, 3]


def randomize(module, generator):
    """Non-trivial values everywhere (LayerNorm weights near 1, biases non-zero), so a wrong mapping shows."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name and "weight" in name and not name.endswith("_ilayer"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))


class Instances(nn.Module):
    """One module per stage, under `.instances.<stage>`, as the official RepeatedModuleList holds them."""

    def __init__(self, make, stages):
        super().__init__()
        self.instances = nn.ModuleList([make() for _ in range(stages)])


class Attention(nn.Module):
    def __init__(self, make_linear):
        super().__init__()
        self.qkv = make_linear(WIDTH, 3 * WIDTH)
        self.proj = make_linear(WIDTH, WIDTH)


class Mlp(nn.Module):
    def __init__(self, make_linear):
        super().__init__()
        self.fc1 = make_linear(WIDTH, 4 * WIDTH)
        self.fc2 = make_linear(4 * WIDTH, WIDTH)


class SharedBlock(nn.Module):
    """`blocks.block`: every part a list of per-stage instances (SWS) or one instance with base/ilayer (TLEG)."""

    def __init__(self, make_norm, make_linear):
        super().__init__()
        self.norm1 = make_norm()
        self.attn = Attention(make_linear)
        self.norm2 = make_norm()
        self.mlp = Mlp(make_linear)


class Blocks(nn.Module):
    def __init__(self, block):
        super().__init__()
        self.block = block


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(CHANS, WIDTH, PATCH, PATCH)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


def attention(x, qkv_w, qkv_b, proj_w, proj_b):
    b, n, c = x.shape
    qkv = F.linear(x, qkv_w, qkv_b).reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = ((q * (c // HEADS) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1)
    return F.linear((attn @ v).transpose(1, 2).reshape(b, n, c), proj_w, proj_b)


def block(x, p, eps=1e-5):
    """One pre-norm transformer block from a dict of its tensors (timm's block, GELU erf form)."""
    h = F.layer_norm(x, (WIDTH,), p["norm1.weight"], p["norm1.bias"], eps)
    x = x + attention(h, p["attn.qkv.weight"], p["attn.qkv.bias"], p["attn.proj.weight"], p["attn.proj.bias"])
    h = F.layer_norm(x, (WIDTH,), p["norm2.weight"], p["norm2.bias"], eps)
    return x + F.linear(F.gelu(F.linear(h, p["mlp.fc1.weight"], p["mlp.fc1.bias"])), p["mlp.fc2.weight"], p["mlp.fc2.bias"])


PARTS = ["norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"]


def part_of(model_block, part):
    module = model_block
    for name in part.split("."):
        module = getattr(module, name)
    return module


class SWSAux(nn.Module):
    """The SWS Aux-Net with the official key layout: no class token, norm → mean over tokens → head."""

    def __init__(self):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.pos_embed = nn.Parameter(torch.zeros(1, TOKENS, WIDTH))
        stages = len(SCHEDULE)
        self.blocks = Blocks(SharedBlock(lambda: Instances(lambda: nn.LayerNorm(WIDTH), stages),
                                         lambda i, o: Instances(lambda: nn.Linear(i, o), stages)))
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, CLASSES)

    def stage_tensors(self, stage):
        out = {}
        for part in PARTS:
            module = part_of(self.blocks.block, part).instances[stage]
            out[part + ".weight"], out[part + ".bias"] = module.weight, module.bias
        return out

    def forward(self, x):
        x = self.patch_embed(x) + self.pos_embed
        for stage, repeats in enumerate(SCHEDULE):
            for _ in range(repeats):
                x = block(x, self.stage_tensors(stage))
        return self.head(self.norm(x).mean(dim=1))


class LELinear(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.weight_base = nn.Parameter(torch.zeros(o, i))
        self.weight_ilayer = nn.Parameter(torch.zeros(o, i))
        self.bias_base = nn.Parameter(torch.zeros(o))
        self.bias_ilayer = nn.Parameter(torch.zeros(o))


class LELayerNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight_base = nn.Parameter(torch.ones(WIDTH))
        self.bias_base = nn.Parameter(torch.zeros(WIDTH))
        self.weight_ilayer = nn.Parameter(torch.zeros(WIDTH))
        self.bias_ilayer = nn.Parameter(torch.zeros(WIDTH))


class TLEGAux(nn.Module):
    """The TLEG Aux-Net with the official key layout: layer l of L uses θ_A + (l/L)·θ_B."""

    DEPTH = 12

    def __init__(self):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.pos_embed = nn.Parameter(torch.zeros(1, TOKENS, WIDTH))
        self.blocks = Blocks(SharedBlock(lambda: Instances(LELayerNorm, 1), lambda i, o: Instances(lambda: LELinear(i, o), 1)))
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, CLASSES)

    def forward(self, x):
        x = self.patch_embed(x) + self.pos_embed
        for layer in range(self.DEPTH):
            t = layer / float(self.DEPTH)
            p = {}
            for part in PARTS:
                m = part_of(self.blocks.block, part).instances[0]
                p[part + ".weight"] = m.weight_base + t * m.weight_ilayer
                p[part + ".bias"] = m.bias_base + t * m.bias_ilayer
            x = block(x, p)
        return self.head(self.norm(x).mean(dim=1))


def training_args():
    return argparse.Namespace(model="aux_deit_base_patch16_224_L16_33433", batch_size=128, epochs=100, lr=5e-4,
                              distillation_type="soft", distillation_alpha=1.0, distillation_tau=1.0, output_dir="out")


def checkpoint_dict(model, ema):
    """What the official main.py saves: the model, the optimizer after one step, the scheduler, the EMA model."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
    images = torch.randn(2, CHANS, IMG, IMG)
    model(images).sum().backward()
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer.step()
    scheduler.step()
    model.load_state_dict(saved)  # the checkpoint's model is the one whose logits are stored
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "lr_scheduler": scheduler.state_dict(),
        "epoch": 99,
        "model_ema": ema.state_dict(),
        "scaler": {"scale": 65536.0, "growth_factor": 2.0, "_growth_tracker": 0},
        "args": training_args(),
    }


def des_net_d14(aux):
    """The depth-14 Des-Net the official loader builds (cyclic map), as a strict timm VisionTransformer that
    normalizes every token before the mean, as the Aux-Net does (fc_norm=False, eps 1e-5)."""
    from timm.models.vision_transformer import VisionTransformer
    layer_map = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    net = VisionTransformer(img_size=IMG, patch_size=PATCH, in_chans=CHANS, num_classes=CLASSES, embed_dim=WIDTH,
                            depth=14, num_heads=HEADS, class_token=False, global_pool="avg", fc_norm=False,
                            norm_layer=partial(nn.LayerNorm, eps=1e-5))
    sd = {"patch_embed.proj.weight": aux.patch_embed.proj.weight, "patch_embed.proj.bias": aux.patch_embed.proj.bias,
          "pos_embed": aux.pos_embed, "norm.weight": aux.norm.weight, "norm.bias": aux.norm.bias,
          "head.weight": aux.head.weight, "head.bias": aux.head.bias}
    for i, stage in enumerate(layer_map):
        for name, value in aux.stage_tensors(stage).items():
            sd[f"blocks.{i}.{name}"] = value
    net.load_state_dict({k: v.detach().clone() for k, v in sd.items()}, strict=True)
    return net.eval()


def save_io(name, images, **logits):
    tensors = {"images": images.contiguous()}
    tensors.update({k: v.detach().contiguous() for k, v in logits.items()})
    save_file(tensors, os.path.join(OUT, name + ".io.safetensors"))


def make_sws(generator):
    aux, ema = SWSAux(), SWSAux()
    randomize(aux, generator)
    randomize(ema, generator)
    images = torch.randn(2, CHANS, IMG, IMG, generator=generator)
    with torch.no_grad():
        logits, logits_ema = aux(images), ema(images)
    torch.save(checkpoint_dict(aux, ema), os.path.join(OUT, "sws-aux.pth"))
    d14 = des_net_d14(aux)
    with torch.no_grad():
        d14_logits = d14(images)
    extra = {"d14." + k: v for k, v in d14.state_dict().items()}
    save_io("sws-aux", images, logits=logits, logits_ema=logits_ema, d14_logits=d14_logits, **extra)


def make_tleg(generator):
    aux = TLEGAux()
    randomize(aux, generator)
    images = torch.randn(2, CHANS, IMG, IMG, generator=generator)
    with torch.no_grad():
        logits = aux(images)
    torch.save({"model": aux.state_dict(), "epoch": 3, "args": training_args()}, os.path.join(OUT, "tleg-aux.pth"))
    save_io("tleg-aux", images, logits=logits)


def timm_vit(**kwargs):
    from timm.models.vision_transformer import VisionTransformer
    return VisionTransformer(img_size=IMG, patch_size=PATCH, in_chans=CHANS, num_classes=CLASSES, embed_dim=WIDTH,
                             num_heads=HEADS, **kwargs).eval()


def make_timm(generator):
    model = timm_vit(depth=3)  # class token, global_pool='token', norm
    randomize(model, generator)
    images = torch.randn(2, CHANS, IMG, IMG, generator=generator)
    with torch.no_grad():
        logits = model(images)
    torch.save(model.state_dict(), os.path.join(OUT, "timm-cls.pth"))
    save_io("timm-cls", images, logits=logits)


def make_timm_views(generator):
    model = timm_vit(depth=2, class_token=False, global_pool="avg")  # fc_norm, no class token
    randomize(model, generator)
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    # One storage for every tensor; head.weight stored transposed, so its view is non-contiguous.
    head = sd["head.weight"]
    total = sum(v.numel() for v in sd.values())
    flat = torch.zeros(total + 7)
    views, offset = {}, 7  # start past element 0, so storage offsets matter
    for k, v in sd.items():
        n = v.numel()
        if k == "head.weight":
            flat[offset:offset + n].copy_(head.t().contiguous().flatten())
            views[k] = flat[offset:offset + n].view(head.shape[1], head.shape[0]).t()
        else:
            flat[offset:offset + n].copy_(v.flatten())
            views[k] = flat[offset:offset + n].view(v.shape)
        offset += n
    assert not views["head.weight"].is_contiguous()
    assert len({v.untyped_storage().data_ptr() for v in views.values()}) == 1
    model.load_state_dict(views, strict=True)
    images = torch.randn(2, CHANS, IMG, IMG, generator=generator)
    with torch.no_grad():
        logits = model(images)
    torch.save(views, os.path.join(OUT, "timm-views.pth"))
    save_io("timm-views", images, logits=logits)


def make_timm_half(generator):
    """Half-precision weights saved with pickle protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL); the
    logits are those of the same weights widened to float32."""
    model = timm_vit(depth=2)
    randomize(model, generator)
    model = model.half()
    images = torch.randn(2, CHANS, IMG, IMG, generator=generator)
    with torch.no_grad():
        logits = model.float()(images)
    torch.save(model.half().state_dict(), os.path.join(OUT, "timm-f16-protocol4.pth"), pickle_protocol=4)
    save_io("timm-f16-protocol4", images, logits=logits)


def make_legacy():
    torch.save({"pos_embed": torch.zeros(1, 4, 8)}, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)


# Hostile checkpoints, written opcode by opcode (protocol 2) into the zip layout torch.save uses.
MARKER = "/tmp/lgreg-import-hostile-marker"


def su(text):
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data


def binint(n):
    return b"J" + struct.pack("<i", n)


def int_tuple(values):
    return b"(" + b"".join(binint(v) for v in values) + b"t"


def storage(key, numel):
    return b"(" + su("storage") + b"ctorch\nFloatStorage\n" + su(key) + su("cpu") + binint(numel) + b"tQ"


def tensor(key, numel, offset, size, stride):
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage(key, numel) + binint(offset) + int_tuple(size)
            + int_tuple(stride) + b"\x89ccollections\nOrderedDict\n)RtR")


def state_dict_pickle(entries):
    return b"\x80\x02ccollections\nOrderedDict\n)R(" + b"".join(su(k) + v for k, v in entries) + b"u."


def write_zip(name, pickle_bytes, storages=None, entries=None, compression=zipfile.ZIP_STORED):
    path = os.path.join(OUT, name)
    files = list(entries or []) + [("archive/data.pkl", pickle_bytes), ("archive/byteorder", b"little")]
    files += [(f"archive/data/{key}", data) for key, data in (storages or {}).items()] + [("archive/version", b"3\n")]
    with zipfile.ZipFile(path, "w", compression) as z:
        for entry, data in files:
            info = zipfile.ZipInfo(entry, date_time=(2024, 1, 1, 0, 0, 0))  # fixed time: same bytes each run
            info.compress_type = compression
            z.writestr(info, data)
    return path


def make_hostile():
    four = struct.pack("<4f", 1, 2, 3, 4)
    write_zip("hostile-os-system.pth", b"\x80\x02cos\nsystem\n" + su(f"touch {MARKER}") + b"\x85R.")
    write_zip("hostile-builtins-eval.pth",
              b"\x80\x02cbuiltins\neval\n" + su(f"__import__('os').system('touch {MARKER}')") + b"\x85R.")
    write_zip("hostile-offset-past-data.pth", state_dict_pickle([("w", tensor("0", 4, 1000, [2], [1]))]), {"0": four})
    write_zip("hostile-numel-past-storage.pth", state_dict_pickle([("w", tensor("0", 4, 0, [100], [1]))]), {"0": four})
    write_zip("hostile-memo-nothing.pth", b"\x80\x02h\x05.")
    depth = 100_000
    write_zip("hostile-nested-lists.pth", b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b".")
    write_zip("hostile-dotdot.pth", state_dict_pickle([("w", tensor("0", 4, 0, [4], [1]))]), {"0": four},
              entries=[("archive/../../escaped.txt", b"outside")])
    # A storage of 10 MiB of zeros deflated to a few KB: more than the whole file once expanded.
    write_zip("hostile-deflate-bomb.pth", state_dict_pickle([("w", tensor("0", 4, 0, [4], [1]))]), {"0": bytes(10 << 20)},
              compression=zipfile.ZIP_DEFLATED)
    # data.pkl declared as 1 GiB: a small stored entry whose sizes say 2^30 in both headers.
    path = write_zip("hostile-pickle-1gb.pth", b"\x80\x02}.")
    data = bytearray(open(path, "rb").read())
    real = struct.pack("<II", 4, 4)
    lie = struct.pack("<II", 1 << 30, 1 << 30)
    for signature, at in ((b"PK\x03\x04", 18), (b"PK\x01\x02", 20)):
        start = data.find(signature)
        while start >= 0:
            name_len = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + name_len] == b"archive/data.pkl":
                assert data[start + at:start + at + 8] == real
                data[start + at:start + at + 8] = lie
            start = data.find(signature, start + 4)
    open(path, "wb").write(bytes(data))
    whole = open(os.path.join(OUT, "timm-cls.pth"), "rb").read()
    open(os.path.join(OUT, "hostile-truncated.pth"), "wb").write(whole[:len(whole) // 2])


def make_whole_model():
    """whole-model.pth: torch.save(model), the whole nn.Module pickled (its class, its `set` of non-persistent
    buffers), which a user saves by mistake instead of model.state_dict()."""
    torch.save(nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 2)), os.path.join(OUT, "whole-model.pth"))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(12)
    make_sws(generator)
    make_tleg(generator)
    make_timm(generator)
    make_timm_views(generator)
    make_timm_half(generator)
    make_legacy()
    make_hostile()
    make_whole_model()
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>9}  {name}")


if __name__ == "__main__":
    main()
