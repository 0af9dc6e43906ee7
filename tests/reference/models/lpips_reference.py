#!/usr/bin/python3
"""Independent reference for latentlab's LPIPS-VGG (lib/models/lpips_vgg*.cpp).

LPIPS v0.1 with the VGG16 trunk written from the paper and the `lpips` package's description (Zhang et al.
2018; richzhang/PerceptualSimilarity): ScalingLayer (x - shift) / scale, torchvision.models.vgg16().features
(built by torchvision's own vgg.make_layers(cfgs["D"]), the module vgg16() holds as `features`, without
vgg16()'s 100 M-parameter classifier whose initialisation alone takes seconds) cut into the slices [0:4],
[4:9], [9:16], [16:23], [23:30] (relu1_2 ... relu5_3), channel unit-normalisation
with eps 1e-10, squared difference, a bias-free 1x1 conv per layer, spatial mean, sum over layers. The trunk
has torchvision's conv initialisation (kaiming_normal_, fan_out), seeded, with random biases; the heads are
seeded random non-negative (1, C, 1, 1) tensors. Uses only Debian's python3-torch, -torchvision and -numpy.

  lpips_reference.py write DIR [--seed S] [--size H W]
      DIR/vgg16.pth         torch.save zip: features.* as in vgg16-397923af.pth, plus one classifier tensor
                            (the real file's 400 MB classifier, which LPIPS never reads, is left out)
      DIR/heads.pth         legacy torch.save: {lin0.model.1.weight ... lin4.model.1.weight} (weights/v0.1/vgg.pth)
      DIR/expected.npz      x0, x1 (2x3xHxW in [-1, 1]), distance (2), per_layer (2x5), map0..map4
                            (2x1xh_lxw_l), grad_x0 = d sum(distance) / d x0
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
SLICES = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]
CHANNELS = [64, 128, 256, 512, 512]


def lpips(features, heads, x0, x1):
    """Returns (distance (N), per-layer means (N, 5), per-layer maps)."""
    h0, h1 = (x0 - SHIFT) / SCALE, (x1 - SHIFT) / SCALE
    maps, means = [], []
    for (start, stop), head in zip(SLICES, heads):
        for i in range(start, stop):
            h0, h1 = features[i](h0), features[i](h1)
        n0 = h0 / (torch.sqrt(torch.sum(h0 ** 2, dim=1, keepdim=True)) + 1e-10)
        n1 = h1 / (torch.sqrt(torch.sum(h1 ** 2, dim=1, keepdim=True)) + 1e-10)
        m = F.conv2d((n0 - n1) ** 2, head)
        maps.append(m)
        means.append(m.mean(dim=[2, 3]).flatten())
    total = means[0]
    for m in means[1:]:
        total = total + m
    return total, torch.stack(means, dim=1), maps


def write(args):
    torch.manual_seed(args.seed)
    features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["D"]).eval()
    # torchvision's VGG init, except for random biases (it zeroes them) so that loading each bias matters.
    with torch.no_grad():
        for m in features:
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                m.bias.uniform_(-0.1, 0.1)
    for m in features:  # torchvision's ReLUs are in place; harmless here, but keep the graph plain for grads
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    heads = [torch.rand(1, c, 1, 1) / c * 4 for c in CHANNELS]

    state = {f"features.{k}": v for k, v in features.state_dict().items()}
    state["classifier.6.bias"] = torch.randn(1000)  # torchvision files hold the classifier too: ignored
    torch.save(state, f"{args.dir}/vgg16.pth")
    head_state = {f"lin{i}.model.1.weight": h for i, h in enumerate(heads)}
    torch.save(head_state, f"{args.dir}/heads.pth", _use_new_zipfile_serialization=False)

    g = torch.Generator().manual_seed(args.seed + 1)
    h, w = args.size
    x0 = torch.rand(2, 3, h, w, generator=g) * 2 - 1
    # x1: x0 plus structured and pixel noise, so distances are neither tiny nor saturated.
    x1 = (x0 + 0.3 * torch.randn(2, 3, h, w, generator=g)).clamp(-1, 1)
    x0g = x0.clone().requires_grad_(True)
    distance, per_layer, maps = lpips(features, heads, x0g, x1)
    distance.sum().backward()
    out = {"x0": x0, "x1": x1, "distance": distance, "per_layer": per_layer, "grad_x0": x0g.grad}
    out.update({f"map{i}": m for i, m in enumerate(maps)})
    np.savez(f"{args.dir}/expected.npz", **{k: v.detach().numpy().astype(np.float32) for k, v in out.items()})


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--size", type=int, nargs=2, default=[64, 64])
    args = parser.parse_args()
    write(args)


if __name__ == "__main__":
    main()
