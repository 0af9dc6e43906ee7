#!/usr/bin/python3
"""Independent reference for latentlab's Send-VAE mapper, its alignment loss, the VA-VAE VF loss and the
adaptive loss weights (lib/models/sendvae_mapper*.cpp, vf_loss.cpp, gan_losses.cpp).

Written from the descriptions in PAPER.md §4.3, §5 and §6 with plain tensor operations (no nn modules):
BatchNorm2d without affine (eps 1e-4, momentum 0.1; biased batch variance, unbiased running update); the
noise interpolant z_t = (1 - t) z + t eps; a p x p patch-embedding conv; MAE's 2-D sin-cos positions
(numpy meshgrid with w first); pre-norm ViT blocks (LayerNorm eps 1e-6, multi-head softmax attention,
exact GELU MLP); the REPA projector Linear-SiLU-Linear-SiLU-Linear; 1 - mean patch cosine, with square
teacher grids resized bilinearly (align_corners False) to the latent grid; VA-VAE's margin cosine and
distance-matrix terms; LDM's adaptive weight ||grad nll|| / (||grad other|| + 1e-4), clamped, times a scale.

  sendvae_vf_reference.py write DIR [--seed S]
      DIR/mapper1.pth, DIR/mapper0.pth   state dicts of a depth-1 and a depth-0 mapper (latentlab names)
      DIR/expected.npz                   inputs and outputs, see write()
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F

C, P, D, HEADS, HIDDEN, TEACHER = 4, 2, 32, 4, 48, 24
B, H, W = 3, 8, 6  # latent grid 8x6 -> 4x3 tokens


def sincos_2d(d, rows, cols):
    def one_d(dim, pos):
        omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
        omega = 1.0 / 10000 ** omega
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    grid = np.meshgrid(np.arange(cols, dtype=np.float32), np.arange(rows, dtype=np.float32))  # w first
    return np.concatenate([one_d(d // 2, grid[0]), one_d(d // 2, grid[1])], axis=1)


def make_mapper(depth, gen):
    def rnd(*shape, scale=0.2):
        return torch.randn(*shape, generator=gen) * scale

    sd = {
        "latent_norm.running_mean": rnd(C, scale=0.5),
        "latent_norm.running_var": 0.5 + torch.rand(C, generator=gen),
        "latent_norm.num_batches_tracked": torch.tensor(3, dtype=torch.int64),
        "patch_embed.proj.weight": rnd(D, C, P, P),
        "patch_embed.proj.bias": rnd(D),
    }
    for i in range(depth):
        pre = f"blocks.{i}."
        sd.update({
            pre + "norm1.weight": 1 + rnd(D), pre + "norm1.bias": rnd(D),
            pre + "attn.qkv.weight": rnd(3 * D, D), pre + "attn.qkv.bias": rnd(3 * D),
            pre + "attn.proj.weight": rnd(D, D), pre + "attn.proj.bias": rnd(D),
            pre + "norm2.weight": 1 + rnd(D), pre + "norm2.bias": rnd(D),
            pre + "mlp.fc1.weight": rnd(4 * D, D), pre + "mlp.fc1.bias": rnd(4 * D),
            pre + "mlp.fc2.weight": rnd(D, 4 * D), pre + "mlp.fc2.bias": rnd(D),
        })
    for name, (o, i) in {"0": (HIDDEN, D), "2": (HIDDEN, HIDDEN), "4": (TEACHER, HIDDEN)}.items():
        sd[f"projector.{name}.weight"] = rnd(o, i)
        sd[f"projector.{name}.bias"] = rnd(o)
    return sd


def batch_norm(sd, z, train):
    if train:
        mean, var = z.mean(dim=(0, 2, 3)), z.var(dim=(0, 2, 3), unbiased=False)
        n = z.numel() / z.shape[1]
        running = (0.9 * sd["latent_norm.running_mean"] + 0.1 * mean,
                   0.9 * sd["latent_norm.running_var"] + 0.1 * var * n / (n - 1))
    else:
        mean, var = sd["latent_norm.running_mean"], sd["latent_norm.running_var"]
        running = (mean, var)
    return (z - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + 1e-4), running


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + 1e-6) * w + b


def block(sd, pre, x):
    b, n, d = x.shape
    h = layer_norm(x, sd[pre + "norm1.weight"], sd[pre + "norm1.bias"])
    qkv = h @ sd[pre + "attn.qkv.weight"].T + sd[pre + "attn.qkv.bias"]
    q, k, v = qkv.reshape(b, n, 3, HEADS, d // HEADS).permute(2, 0, 3, 1, 4)
    a = torch.softmax(q @ k.transpose(-1, -2) / np.sqrt(d // HEADS), dim=-1) @ v
    x = x + a.transpose(1, 2).reshape(b, n, d) @ sd[pre + "attn.proj.weight"].T + sd[pre + "attn.proj.bias"]
    h = layer_norm(x, sd[pre + "norm2.weight"], sd[pre + "norm2.bias"])
    h = h @ sd[pre + "mlp.fc1.weight"].T + sd[pre + "mlp.fc1.bias"]
    h = 0.5 * h * (1 + torch.erf(h / np.sqrt(2)))
    return x + h @ sd[pre + "mlp.fc2.weight"].T + sd[pre + "mlp.fc2.bias"]


def mapper(sd, depth, zt):
    g = F.conv2d(zt, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], stride=P)
    rows, cols = g.shape[2], g.shape[3]
    x = g.flatten(2).transpose(1, 2) + torch.from_numpy(sincos_2d(D, rows, cols)).float()[None]
    for i in range(depth):
        x = block(sd, f"blocks.{i}.", x)
    for name in ("0", "2", "4"):
        x = x @ sd[f"projector.{name}.weight"].T + sd[f"projector.{name}.bias"]
        if name != "4":
            x = x * torch.sigmoid(x)
    return x


def to_grid(teacher, rows, cols):
    b, n, d = teacher.shape
    if n == rows * cols:
        return teacher
    s = int(round(n ** 0.5))
    img = teacher.transpose(1, 2).reshape(b, d, s, s)
    return F.interpolate(img, size=(rows, cols), mode="bilinear", align_corners=False).flatten(2).transpose(1, 2)


def align_loss(tokens, teacher, rows, cols):
    f = to_grid(teacher, rows, cols)
    cos = (tokens * f).sum(-1) / (tokens.norm(dim=-1).clamp_min(1e-12) * f.norm(dim=-1).clamp_min(1e-12))
    return 1 - cos.mean()


def vf_terms(zp, teacher, m1=0.5, m2=0.25):
    b, d, h, w = zp.shape
    f = to_grid(teacher, h, w).transpose(1, 2).reshape(b, d, h, w)
    cos = (zp * f).sum(1) / torch.clamp(zp.norm(dim=1) * f.norm(dim=1), min=1e-8)
    mcos = torch.relu(1 - m1 - cos).mean()
    zn = zp.flatten(2) / zp.flatten(2).norm(dim=1, keepdim=True).clamp_min(1e-12)
    fn = f.flatten(2) / f.flatten(2).norm(dim=1, keepdim=True).clamp_min(1e-12)
    diff = (zn.transpose(1, 2) @ zn - fn.transpose(1, 2) @ fn).abs()
    mdms = torch.relu(diff - m2).mean()
    return mcos, mdms, mdms + mcos


def adaptive(ref, other, layer, max_weight, scale):
    g1 = torch.autograd.grad(ref, layer, retain_graph=True)[0]
    g2 = torch.autograd.grad(other, layer, retain_graph=True)[0]
    return torch.clamp(g1.norm() / (g2.norm() + 1e-4), 0.0, max_weight) * scale


def write(args):
    gen = torch.Generator().manual_seed(args.seed)
    out = {}
    sd1, sd0 = make_mapper(1, gen), make_mapper(0, gen)
    torch.save(sd1, f"{args.dir}/mapper1.pth")
    torch.save(sd0, f"{args.dir}/mapper0.pth")
    z = torch.randn(B, C, H, W, generator=gen) * 1.5 + 0.3
    t = torch.rand(B, generator=gen)
    eps = torch.randn(B, C, H, W, generator=gen)
    out.update(z=z, t=t, eps=eps)
    for mode, train in (("eval", False), ("train", True)):
        zn, running = batch_norm(sd1, z, train)
        zt = (1 - t)[:, None, None, None] * zn + t[:, None, None, None] * eps
        out[f"normalized_{mode}"] = zn
        out[f"tokens1_{mode}"] = mapper(sd1, 1, zt)
        out[f"tokens0_{mode}"] = mapper(sd0, 0, (1 - t)[:, None, None, None] * batch_norm(sd0, z, train)[0]
                                        + t[:, None, None, None] * eps)
        if train:
            out["running_mean_after"], out["running_var_after"] = running
    rows, cols = H // P, W // P
    teacher_exact = torch.randn(B, rows * cols, TEACHER, generator=gen)
    teacher_square = torch.randn(B, 16, TEACHER, generator=gen)  # 4x4 -> 4x3
    out.update(teacher_exact=teacher_exact, teacher_square=teacher_square)
    out["align_exact"] = align_loss(out["tokens1_eval"], teacher_exact, rows, cols)
    out["align_square"] = align_loss(out["tokens1_eval"], teacher_square, rows, cols)
    # VF loss: a 1x1 projection C -> TEACHER (no bias) of a latent on a 4x3 grid.
    proj = torch.randn(TEACHER, C, 1, 1, generator=gen) * 0.5
    zv = torch.randn(B, C, rows, cols, generator=gen)
    zp = F.conv2d(zv, proj)
    out.update(vf_proj=proj, vf_z=zv)
    for name, teacher in (("exact", teacher_exact), ("square", teacher_square)):
        mcos, mdms, total = vf_terms(zp, teacher)
        out[f"vf_cos_{name}"], out[f"vf_dist_{name}"], out[f"vf_total_{name}"] = mcos, mdms, total
    # Adaptive weights on a toy graph: layer L (5x4) shared by an "nll" and a "g" loss.
    layer = (torch.randn(5, 4, generator=gen) * 0.5).requires_grad_()
    x = torch.randn(6, 5, generator=gen)
    v = torch.randn(6, 4, generator=gen)
    y = x @ layer
    nll = (torch.tanh(y) - v).abs().mean()
    g = -(y * v).mean()
    out.update(toy_layer=layer.detach(), toy_x=x, toy_v=v)
    out["adaptive_gan"] = adaptive(nll, g, layer, 1e4, 0.5)
    out["adaptive_gan_clamped"] = adaptive(nll * 10, g * 1e-9, layer, 1e4, 0.5)  # ratio > 1e4: clamped
    out["adaptive_vf"] = adaptive(nll * 10, g * 1e-9, layer, 1e8, 0.1)  # not clamped at 1e8
    np.savez(f"{args.dir}/expected.npz", **{k: v.detach().numpy() for k, v in out.items()})


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--seed", type=int, default=0)
    write(parser.parse_args())


if __name__ == "__main__":
    main()
