#!/usr/bin/python3
"""Independent reference for latentlab's SiT with REPA projectors (lib/models/sit*.cpp).

A minimal PyTorch SiT written from the DiT/SiT/REPA description (Peebles & Xie 2023, Ma et al. 2024, Yu et
al. 2025; layer list in ../shared/docs/PAPER.md §9 and TRAINING.md §3): patch embedding = p×p stride-p conv;
fixed 2-D sin-cos positions (MAE formula, column half first); timestep features [cos, sin] of 256
frequencies (max period 10000) -> Linear, SiLU, Linear; label table with a null row; blocks with adaLN-Zero
(6 modulations from Linear(SiLU(c))), LayerNorm without affine (eps 1e-6), multi-head attention written with
matmul + softmax (qkv bias), MLP with tanh-GELU; final adaLN (2 modulations) + Linear; unpatchify with
einsum; REPA projectors Linear-SiLU-Linear-SiLU-Linear on the tokens after block encoder_depth. Module
attribute names are REPA's, so state_dict() has REPA keys. Uses only Debian's python3-torch and -numpy.

  sit_reference.py write DIR [--seed S]
      DIR/config.json   the test config (a custom SiT: 2 projectors, depth 3, patch 2, 4x8x8 latents)
      DIR/repa.pt       {"model": weights + noise, "ema": weights incl. REPA-E's bn.* statistics,
                         "opt": {...}, "args": argparse.Namespace, "steps": 10} (a REPA-E checkpoint)
      DIR/sit.pt        a plain state dict of a SiT-tiny/1-shaped SiT with learn_sigma and no projector
      DIR/expected.npz  x, t, y (one null label), prediction, proj0, proj1, pos_embed, bn_mean, bn_var;
                        forced (force_drop [1,0,0]); cfg_labels, cfg (scale 4, interval [0.3, 0.95]);
                        sit_x, sit_t, sit_y, sit_prediction
      All weights are random (normal, 1/sqrt(fan_in)), adaLN and final layer included: with DiT's
      zero-initialisation the output would be 0 and test nothing.
  sit_reference.py counts
      prints "<preset> <params without projectors> <params with projectors> <DiT-style count>" per preset:
      trainable parameters (pos_embed excluded) with learn_sigma off, and the count DiT prints
      (learn_sigma on, no projector, the frozen pos_embed included).
"""
import argparse
import json
import math
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = {"S": (12, 384, 6, 4), "B": (12, 768, 12, 4), "L": (24, 1024, 16, 8), "XL": (28, 1152, 16, 8)}


def presets():
    out = {}
    for name, (depth, hidden, heads, enc) in SIZES.items():
        for p in (1, 2, 4):
            out[f"SiT-{name}/{p}"] = dict(input_size=16 if p == 1 else 32, patch_size=p,
                                          in_channels=32 if p == 1 else 4, hidden_size=hidden, depth=depth,
                                          num_heads=heads, num_classes=1000, encoder_depth=enc, z_dims=[768],
                                          projector_dim=2048)
    for p, depth, side, ch, enc in ((1, 2, 8, 4, 1), (2, 4, 16, 8, 2)):
        out[f"SiT-tiny/{p}"] = dict(input_size=side, patch_size=p, in_channels=ch, hidden_size=64, depth=depth,
                                    num_heads=4, num_classes=10, encoder_depth=enc, z_dims=[48], projector_dim=128)
    return out


def sincos_2d(dim, grid):
    def one(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.outer(pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    cols, rows = np.meshgrid(np.arange(grid, dtype=np.float32), np.arange(grid, dtype=np.float32))
    return np.concatenate([one(dim // 2, cols), one(dim // 2, rows)], axis=1).astype(np.float32)


class Holder(nn.Module):
    pass


class Block(nn.Module):
    def __init__(self, d, heads, mlp, dev):
        super().__init__()
        self.heads = heads
        self.attn = Holder()
        self.attn.qkv = nn.Linear(d, 3 * d, device=dev)
        self.attn.proj = nn.Linear(d, d, device=dev)
        self.mlp = Holder()
        self.mlp.fc1 = nn.Linear(d, mlp, device=dev)
        self.mlp.fc2 = nn.Linear(mlp, d, device=dev)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d, device=dev))

    def attention(self, x):
        b, n, d = x.shape
        hd = d // self.heads
        q, k, v = self.attn.qkv(x).split(d, dim=-1)
        q, k, v = (u.reshape(b, n, self.heads, hd).transpose(1, 2) for u in (q, k, v))
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(hd), dim=-1)
        return self.attn.proj((w @ v).transpose(1, 2).reshape(b, n, d))

    def forward(self, x, c):
        s1, m1, g1, s2, m2, g2 = self.adaLN_modulation(c)[:, None, :].chunk(6, dim=-1)
        ln = lambda u: F.layer_norm(u, (u.shape[-1],), eps=1e-6)
        x = x + g1 * self.attention(ln(x) * (1 + m1) + s1)
        h = ln(x) * (1 + m2) + s2
        return x + g2 * self.mlp.fc2(F.gelu(self.mlp.fc1(h), approximate="tanh"))


class SiT(nn.Module):
    def __init__(self, c, learn_sigma=False, dev=None):
        super().__init__()
        d, p, ch = c["hidden_size"], c["patch_size"], c["in_channels"]
        self.c, self.learn_sigma = c, learn_sigma
        self.out_ch = 2 * ch if learn_sigma else ch
        self.x_embedder = Holder()
        self.x_embedder.proj = nn.Conv2d(ch, d, p, stride=p, device=dev)
        self.t_embedder = Holder()
        self.t_embedder.mlp = nn.Sequential(nn.Linear(256, d, device=dev), nn.SiLU(), nn.Linear(d, d, device=dev))
        self.y_embedder = Holder()
        self.y_embedder.embedding_table = nn.Embedding(c["num_classes"] + 1, d, device=dev)
        grid = c["input_size"] // p
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid, d, device=dev), requires_grad=False)
        if dev is None:
            self.pos_embed.data.copy_(torch.from_numpy(sincos_2d(d, grid))[None])
        mlp = int(d * c.get("mlp_ratio", 4.0))
        self.blocks = nn.ModuleList([Block(d, c["num_heads"], mlp, dev) for _ in range(c["depth"])])
        if c["z_dims"]:
            pd = c["projector_dim"]
            self.projectors = nn.ModuleList([nn.Sequential(
                nn.Linear(d, pd, device=dev), nn.SiLU(), nn.Linear(pd, pd, device=dev), nn.SiLU(),
                nn.Linear(pd, z, device=dev)) for z in c["z_dims"]])
        self.final_layer = Holder()
        self.final_layer.linear = nn.Linear(d, p * p * self.out_ch, device=dev)
        self.final_layer.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d, device=dev))

    def forward(self, x, t, y):
        p = self.c["patch_size"]
        h = self.x_embedder.proj(x).flatten(2).transpose(1, 2) + self.pos_embed
        half = 128
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        args = t[:, None].float() * freqs[None]
        c = self.t_embedder.mlp(torch.cat([torch.cos(args), torch.sin(args)], dim=-1))
        c = c + self.y_embedder.embedding_table(y)
        zs = []
        for i, block in enumerate(self.blocks):
            h = block(h, c)
            if i + 1 == self.c["encoder_depth"] and hasattr(self, "projectors"):
                zs = [proj(h) for proj in self.projectors]
        shift, scale = self.final_layer.adaLN_modulation(c)[:, None, :].chunk(2, dim=-1)
        h = self.final_layer.linear(F.layer_norm(h, (h.shape[-1],), eps=1e-6) * (1 + scale) + shift)
        n, g = h.shape[0], self.c["input_size"] // p
        img = torch.einsum("nrjabc->ncrajb", h.reshape(n, g, g, p, p, self.out_ch))
        img = img.reshape(n, self.out_ch, g * p, g * p)
        return (img[:, : self.c["in_channels"]] if self.learn_sigma else img), zs


def randomise(model, gen):
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name == "pos_embed":
                continue
            fan_in = int(np.prod(param.shape[1:])) if param.dim() > 1 else 10
            std = 1.0 if "embedding_table" in name else 1.0 / math.sqrt(fan_in)
            param.copy_(torch.randn(param.shape, generator=gen) * std)


def write(args):
    gen = torch.Generator().manual_seed(args.seed)
    cfg = dict(input_size=8, patch_size=2, in_channels=4, hidden_size=64, depth=3, num_heads=4, mlp_ratio=4.0,
               num_classes=10, class_dropout_prob=0.1, learn_sigma=False, encoder_depth=2, z_dims=[32, 24],
               projector_dim=96)
    with open(f"{args.dir}/config.json", "w") as f:
        json.dump(cfg, f)
    model = SiT(cfg).eval()
    randomise(model, gen)
    ema = dict(model.state_dict())
    bn_mean, bn_var = torch.randn(4, generator=gen), torch.rand(4, generator=gen) + 0.5
    ema["bn.running_mean"], ema["bn.running_var"] = bn_mean, bn_var
    ema["bn.num_batches_tracked"] = torch.tensor(100)
    trained = {k: v + 0.01 * torch.randn(v.shape, generator=gen) if v.is_floating_point() else v
               for k, v in ema.items()}
    opt = {"state": {0: {"step": torch.tensor(10.0), "exp_avg": torch.zeros(3)}}, "param_groups": [{"lr": 1e-4}]}
    namespace = argparse.Namespace(model="SiT-custom", encoder_depth=2, cfg_prob=0.1)
    torch.save({"model": trained, "ema": ema, "opt": opt, "args": namespace, "steps": 10}, f"{args.dir}/repa.pt")

    n = 3
    x = torch.randn(n, 4, 8, 8, generator=gen)
    t = torch.tensor([0.1, 0.5, 0.9])
    y = torch.tensor([3, 10, 7])
    out = {"x": x, "t": t, "y": y, "pos_embed": model.pos_embed.detach(), "bn_mean": bn_mean, "bn_var": bn_var}
    with torch.no_grad():
        out["prediction"], zs = model(x, t, y)
        out["proj0"], out["proj1"] = zs
        out["forced"] = model(x, t, torch.tensor([10, 10, 7]))[0]  # force_drop [1, 0, 0] on y; y[1] is null
        labels = torch.tensor([3, 0, 7])
        cond = model(x, t, labels)[0]
        uncond = model(x, t, torch.full((n,), 10))[0]
        inside = ((t >= 0.3) & (t <= 0.95))[:, None, None, None]
        out["cfg_labels"] = labels
        out["cfg"] = torch.where(inside, uncond + 4.0 * (cond - uncond), cond)

    # A willisma/SiT-style checkpoint: learn_sigma, no projector, a plain state dict.
    tiny = dict(presets()["SiT-tiny/1"], z_dims=[])
    sit = SiT(tiny, learn_sigma=True).eval()
    randomise(sit, gen)
    torch.save(sit.state_dict(), f"{args.dir}/sit.pt")
    out["sit_x"] = torch.randn(2, 4, 8, 8, generator=gen)
    out["sit_t"] = torch.tensor([0.25, 0.75])
    out["sit_y"] = torch.tensor([9, 1])
    with torch.no_grad():
        out["sit_prediction"] = sit(out["sit_x"], out["sit_t"], out["sit_y"])[0]
    np.savez(f"{args.dir}/expected.npz", **{k: v.numpy() for k, v in out.items()})


def counts(_):
    count = lambda m, skip=(): sum(p.numel() for n, p in m.named_parameters()
                                   if n != "pos_embed" and not n.startswith(skip))
    for name, c in presets().items():
        model = SiT(c, dev="meta")
        dit = SiT(dict(c, z_dims=[]), learn_sigma=True, dev="meta")
        print(name, count(model, ("projectors.",)), count(model), sum(p.numel() for p in dit.parameters()))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--seed", type=int, default=0)
    w.set_defaults(run=write)
    sub.add_parser("counts").set_defaults(run=counts)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
