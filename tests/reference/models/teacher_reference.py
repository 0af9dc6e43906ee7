"""Independent PyTorch reference of the DINOv2 and TorchScript teachers (teacher_reference_test.cpp).

The teachers' documented preparation, written from REPA's `preprocess_raw_image` and PyTorch's functional API
(it does not import latentlab code; the DINOv2 ViT itself comes from dinov2_reference.py next to this file):
[-1, 1] -> [0, 1] -> normalisation -> F.interpolate(mode="bicubic", align_corners=False); DINOv2 at
(grid_h*14, grid_w*14) returning x_norm_patchtokens; TorchScript at size x size, then its (B, N, D) tokens
(CLS dropped) or (B, D, h, w) map brought to the grid by adaptive_avg_pool2d (grid no larger) or bilinear.

  dinov2 DIR --seed S        tiny seeded DINOv2 -> DIR/dinov2.pth; images and tokens -> DIR/dinov2.npz
  torchscript DIR --seed S   a scripted tokens module (CLS + 4x4 grid, tuple output) -> DIR/tokens.pt and a
                             traced map module -> DIR/map.pt; images and expected tokens -> DIR/torchscript.npz
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dinov2_reference import ViT  # noqa: E402

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def prepare(images, size, normalisation):
    x = (images + 1) / 2
    if normalisation == "imagenet":
        x = (x - MEAN) / STD
    elif normalisation == "signed":
        x = images
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False)
    return x


def to_grid(feature_map, gh, gw):
    h, w = feature_map.shape[-2:]
    if (h, w) != (gh, gw):
        if gh <= h and gw <= w:
            feature_map = F.adaptive_avg_pool2d(feature_map, (gh, gw))
        else:
            feature_map = F.interpolate(feature_map, size=(gh, gw), mode="bilinear", align_corners=False)
    return feature_map.flatten(2).transpose(1, 2)


def dinov2(directory, seed):
    torch.manual_seed(seed)
    model = ViT(64, 2, 4, "mlp", 0, grid=4)
    with torch.no_grad():
        for name, p in model.named_parameters():
            base = 1.0 if name.endswith(("norm1.weight", "norm2.weight", "norm.weight", "gamma")) else 0.0
            p.copy_(base + 0.2 * torch.randn_like(p))
    torch.save(model.state_dict(), f"{directory}/dinov2.pth")
    model.eval()
    images = torch.rand(2, 3, 40, 56, generator=torch.Generator().manual_seed(seed + 1)) * 2 - 1
    out = {"images": images.numpy()}
    with torch.no_grad():
        for gh, gw in [(3, 2), (4, 4), (2, 5)]:
            out[f"tokens_{gh}x{gw}"] = model(prepare(images, (gh * 14, gw * 14), "imagenet"))[1].numpy()
    np.savez(f"{directory}/dinov2.npz", **out)


class Tokens(nn.Module):  # patch-8 embedding with a CLS token, returned first in a tuple
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 12, 8, stride=8)
        self.cls = nn.Parameter(torch.randn(1, 1, 12))

    def forward(self, x):
        t = self.proj(x).flatten(2).transpose(1, 2)
        return torch.cat([self.cls.expand(x.shape[0], -1, -1), t], dim=1), t.mean()


class Map(nn.Module):  # a (B, D, h, w) feature map, stride 8
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 4, stride=4)
        self.b = nn.Conv2d(8, 10, 3, stride=2, padding=1)

    def forward(self, x):
        return self.b(F.gelu(self.a(x)))


def torchscript(directory, seed):
    torch.manual_seed(seed)
    tokens, fmap = Tokens().eval(), Map().eval()
    torch.jit.script(tokens).save(f"{directory}/tokens.pt")
    torch.jit.trace(fmap, torch.zeros(1, 3, 40, 40)).save(f"{directory}/map.pt")
    images = torch.rand(2, 3, 48, 36, generator=torch.Generator().manual_seed(seed + 1)) * 2 - 1
    out = {"images": images.numpy()}
    with torch.no_grad():
        t = tokens(prepare(images, (32, 32), "imagenet"))[0][:, 1:]  # 4x4 grid after the CLS token
        t_map = t.transpose(1, 2).reshape(2, 12, 4, 4)
        for gh, gw in [(4, 4), (2, 2), (6, 5)]:
            out[f"tokens_{gh}x{gw}"] = to_grid(t_map, gh, gw).numpy()
        m = fmap(prepare(images, (40, 40), "unit"))  # 5x5
        for gh, gw in [(5, 5), (3, 2)]:
            out[f"map_{gh}x{gw}"] = to_grid(m, gh, gw).numpy()
    np.savez(f"{directory}/torchscript.npz", **out)


if __name__ == "__main__":
    mode, directory, seed = sys.argv[1], sys.argv[2], int(sys.argv[4])
    {"dinov2": dinov2, "torchscript": torchscript}[mode](directory, seed)
