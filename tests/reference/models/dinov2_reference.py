"""Independent PyTorch reference of the DINOv2 ViT forward (tests/reference/models/dinov2_reference_test.cpp).

Written from the DINOv2 paper and the semantics of facebookresearch/dinov2 `DinoVisionTransformer` as
torch.hub builds it (patch-14 conv embedding, CLS token, learned position embeddings for a square pretraining
grid resampled bicubically to the input grid with the 0.1 offset / scale-factor kludge, or to the exact size
with antialias for the register models; pre-norm blocks with LayerNorm eps 1e-6, softmax attention, LayerScale,
GELU MLP or fused SwiGLU; final LayerNorm). It does not import latentlab code.

  write DIR --config tiny|tiny-swiglu|tiny-reg --seed S
      seeded random weights in the published state-dict layout -> DIR/weights.pth (and, for tiny,
      DIR/weights_chunked.pth with block_chunks=1 names blocks.0.N.*); seeded uint8-range images and the
      reference outputs -> DIR/expected.npz
  counts NAME...
      parameter counts of the presets (built on the meta device: no memory)
  preset-weights NAME PATH --seed S
      seeded random weights of a preset (vits14 in the CLI tests) in the published layout -> PATH (.pth)
  prepare PATH --seed S
      seeded uint8 (N, H, W, 3) images and EDM2's DINOv2 input (float32 bicubic antialias to 224, /255,
      ImageNet mean/std) -> PATH (.npz: images, prepared)
  oracle-image PATH
      torch-fidelity's DINOv2 test image: randint(0, 256) uint8 (1, 3, 32, 32) from a generator seeded
      2023, saved NHWC -> PATH (.npz: images)
"""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PRESETS = {
    # name: (embed, depth, heads, ffn, registers)
    "vits14": (384, 12, 6, "mlp", 0),
    "vitb14": (768, 12, 12, "mlp", 0),
    "vitl14": (1024, 24, 16, "mlp", 0),
    "vitg14": (1536, 40, 24, "swiglu", 0),
    "vits14_reg4": (384, 12, 6, "mlp", 4),
    "vitg14_reg4": (1536, 40, 24, "swiglu", 4),
}
TINY = {
    "tiny": dict(embed=64, depth=2, heads=4, ffn="mlp", registers=0, grid=4),
    "tiny-swiglu": dict(embed=64, depth=2, heads=4, ffn="swiglu", registers=0, grid=4),
    "tiny-reg": dict(embed=64, depth=2, heads=4, ffn="mlp", registers=4, grid=4),
}
PATCH = 14


class LayerScale(nn.Module):
    def __init__(self, dim, device):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim, device=device))

    def forward(self, x):
        return x * self.gamma


class Attention(nn.Module):
    def __init__(self, dim, heads, device):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, device=device)
        self.proj = nn.Linear(dim, dim, device=device)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, hd).unbind(2)  # each (b, t, h, hd)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        weights = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(hd), dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, t, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden, device):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, device=device)
        self.fc2 = nn.Linear(hidden, dim, device=device)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden, device):
        super().__init__()
        hidden = (int(hidden * 2 / 3) + 7) // 8 * 8  # SwiGLUFFNFused's width rule
        self.w12 = nn.Linear(dim, 2 * hidden, device=device)
        self.w3 = nn.Linear(hidden, dim, device=device)

    def forward(self, x):
        gate, value = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(gate) * value)


class Block(nn.Module):
    def __init__(self, dim, heads, ffn, device):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6, device=device)
        self.attn = Attention(dim, heads, device)
        self.ls1 = LayerScale(dim, device)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6, device=device)
        self.mlp = (Mlp if ffn == "mlp" else SwiGLU)(dim, 4 * dim, device)
        self.ls2 = LayerScale(dim, device)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, dim, device):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, PATCH, stride=PATCH, device=device)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, embed, depth, heads, ffn, registers, grid=37, device=None):
        super().__init__()
        self.grid, self.registers = grid, registers
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed, device=device))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, embed, device=device))
        if registers:
            self.register_tokens = nn.Parameter(torch.zeros(1, registers, embed, device=device))
        self.mask_token = nn.Parameter(torch.zeros(1, embed, device=device))
        self.patch_embed = PatchEmbed(embed, device)
        self.blocks = nn.ModuleList([Block(embed, heads, ffn, device) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed, eps=1e-6, device=device)

    def positions(self, gh, gw):
        m = self.grid
        if gh * gw == m * m and gh == gw:
            return self.pos_embed
        cls, grid = self.pos_embed[:, :1], self.pos_embed[:, 1:].reshape(1, m, m, -1).permute(0, 3, 1, 2)
        if self.registers:  # the hub's *_reg models: exact size, antialias
            grid = F.interpolate(grid, size=(gh, gw), mode="bicubic", antialias=True)
        else:  # the 0.1 offset turned into scale factors (dino issue #8)
            grid = F.interpolate(grid, scale_factor=((gh + 0.1) / m, (gw + 0.1) / m), mode="bicubic")
        assert grid.shape[-2:] == (gh, gw)
        return torch.cat([cls, grid.permute(0, 2, 3, 1).reshape(1, gh * gw, -1)], dim=1)

    def forward(self, x, take=()):
        b, _, h, w = x.shape
        t = torch.cat([self.cls_token.expand(b, -1, -1), self.patch_embed(x)], dim=1)
        t = t + self.positions(h // PATCH, w // PATCH)
        if self.registers:
            t = torch.cat([t[:, :1], self.register_tokens.expand(b, -1, -1), t[:, 1:]], dim=1)
        taken = {}
        for i, block in enumerate(self.blocks):
            t = block(t)
            if i in take:
                taken[i] = self.norm(t)
        t = self.norm(t)
        return t[:, 0], t[:, 1 + self.registers :], [taken[i] for i in take]


def write(directory, config, seed):
    c = TINY[config]
    torch.manual_seed(seed)
    model = ViT(c["embed"], c["depth"], c["heads"], c["ffn"], c["registers"], c["grid"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            # Norm weights near 1 and LayerScale gammas away from 1 so that every tensor matters.
            base = 1.0 if name.endswith(("norm1.weight", "norm2.weight", "norm.weight", "gamma")) else 0.0
            p.copy_(base + 0.2 * torch.randn_like(p))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(state, f"{directory}/weights.pth")
    if config == "tiny":  # block_chunks=1: blocks.0.N.*
        chunked = {(k.replace("blocks.", "blocks.0.", 1) if k.startswith("blocks.") else k): v for k, v in state.items()}
        torch.save({"model": chunked}, f"{directory}/weights_chunked.pth")
    generator = torch.Generator().manual_seed(seed + 1)
    out = {}
    model.eval()
    with torch.no_grad():
        for tag, (n, h, w) in {"a": (2, 70, 42), "b": (1, 56, 56), "c": (2, 42, 42)}.items():
            images = torch.rand(n, 3, h, w, generator=generator) * 4 - 2  # ImageNet-normalised range
            cls, patches, taken = model(images, take=(1, 0))
            out[f"images_{tag}"] = images.numpy()
            out[f"cls_{tag}"] = cls.numpy()
            out[f"patch_{tag}"] = patches.numpy()
            for i, t in zip((1, 0), taken):
                out[f"block{i}_{tag}"] = t.numpy()
    np.savez(f"{directory}/expected.npz", **out)


def preset_weights(name, path, seed):
    embed, depth, heads, ffn, registers = PRESETS[name]
    torch.manual_seed(seed)
    model = ViT(embed, depth, heads, ffn, registers)
    with torch.no_grad():
        for key, p in model.named_parameters():
            base = 1.0 if key.endswith(("norm1.weight", "norm2.weight", "norm.weight", "gamma")) else 0.0
            p.copy_(base + 0.02 * torch.randn_like(p))
    torch.save(model.state_dict(), path)


def prepare(path, seed):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (3, 37, 53, 3), dtype=torch.uint8, generator=generator)
    x = images.permute(0, 3, 1, 2).to(torch.float32)
    x = F.interpolate(x, size=(224, 224), mode="bicubic", antialias=True)  # EDM2 resize_mode='torch'
    x = x / 255
    x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    np.savez(path, images=images.numpy(), prepared=x.numpy())


def oracle_image(path):
    generator = torch.Generator().manual_seed(2023)
    images = torch.randint(0, 256, (1, 3, 32, 32), dtype=torch.uint8, generator=generator)
    np.savez(path, images=images.permute(0, 2, 3, 1).contiguous().numpy())


def counts(names):
    for name in names:
        embed, depth, heads, ffn, registers = PRESETS[name]
        model = ViT(embed, depth, heads, ffn, registers, device="meta")
        print(name, sum(p.numel() for p in model.parameters()))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        args = dict(zip(sys.argv[3::2], sys.argv[4::2]))
        write(sys.argv[2], args["--config"], int(args["--seed"]))
    elif sys.argv[1] == "counts":
        counts(sys.argv[2:])
    elif sys.argv[1] == "preset-weights":
        preset_weights(sys.argv[2], sys.argv[3], int(sys.argv[5]))
    elif sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[4]))
    elif sys.argv[1] == "oracle-image":
        oracle_image(sys.argv[2])
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")
