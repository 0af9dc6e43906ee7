#!/usr/bin/python3
"""Independent reference for the FID Inception (tests/reference/models/inception_fid_reference_test.cpp).

Usage: inception_fid_reference.py OUT_DIR

Builds pytorch-fid's FID Inception the way pytorch-fid does (torchvision's Inception3 with 1008 classes and
no AuxLogits, Mixed_5b..7c replaced by blocks whose forward uses avg pools with count_include_pad=False and,
in Mixed_7c, a max pool), fills it with seeded random weights in that state-dict layout (batch-norm running
statistics random, running_var positive), and writes
  OUT_DIR/weights.pth     the state dict, legacy torch.save format like pt_inception-2015-12-05-6726825d.pth
  OUT_DIR/reference.npz   per case k: images_k (N, H, W, 3) uint8, and per resize mode (tf1, torch)
                          {mode}_{k}_input (N, 3, 299, 299) float32; for the (mode, case) pairs in FORWARD
                          also {mode}_{k}_pool3, _logits, _logits_unbiased, _spatial, float32
The input protocols are written here from their definitions, not from latentlab:
  tf1    TF 1.x ResizeBilinear (legacy: source = dst · in/out, no half-pixel offset) in numpy, then (x-128)/128
  torch  pytorch-fid: x/255, F.interpolate(bilinear, align_corners=False), 2x - 1
Needs Debian's python3-torch, python3-torchvision and python3-numpy. A few small images only (CPU, 2 cores).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.models.inception import (BasicConv2d, Inception3, InceptionA, InceptionAux, InceptionB, InceptionC,
                                          InceptionD, InceptionE)

SEED = 2015
CASES = [(2, 64, 64), (1, 200, 300), (1, 299, 299), (1, 37, 53)]  # (N, H, W)
# The network runs on these (mode, case) inputs only (the test must stay fast on 2 cores); every input is
# compared after the resize.
FORWARD = [("tf1", 1), ("torch", 3)]


class FIDInceptionA(InceptionA):
    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], 1)


class FIDInceptionC(InceptionC):
    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            branch7x7dbl = layer(branch7x7dbl)
        branch_pool = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([branch1x1, branch7x7, branch7x7dbl, branch_pool], 1)


class FIDInceptionE(InceptionE):
    """FIDInceptionE_1 (Mixed_7b, 1280 channels in) and FIDInceptionE_2 (Mixed_7c, 2048 in)."""

    def __init__(self, in_channels, conv_block=None):
        super().__init__(in_channels, conv_block)
        self.max_pool = in_channels == 2048

    def forward(self, x):
        branch1x1 = self.branch1x1(x)
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat([self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1)
        if self.max_pool:  # FIDInceptionE_2: the TF graph's max pool
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([branch1x1, branch3x3, branch3x3dbl, self.branch_pool(pooled)], 1)


def fid_inception():
    """torchvision's Inception3 built from the FID blocks directly (InceptionB/D and BasicConv2d unchanged)."""
    blocks = [BasicConv2d, FIDInceptionA, InceptionB, FIDInceptionC, InceptionD, FIDInceptionE, InceptionAux]
    net = Inception3(num_classes=1008, aux_logits=False, transform_input=False, inception_blocks=blocks,
                     init_weights=False)
    return net.eval()


def randomize(net):
    """He-normal convs, random batch norms (running_var in [0.5, 2]), N(0, 1/2048) fc: activations stay O(1).
    Filled in place (state_dict() tensors share the parameters' storage); num_batches_tracked stays 0."""
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            shape = tensor.shape
            if name.endswith("num_batches_tracked"):
                continue
            elif name.endswith("conv.weight"):
                tensor.normal_(0.0, (2.0 / (shape[1] * shape[2] * shape[3])) ** 0.5, generator=gen)
            elif name.endswith("bn.weight"):
                tensor.uniform_(0.5, 1.5, generator=gen)
            elif name.endswith("bn.bias") or name.endswith("running_mean"):
                tensor.uniform_(-0.2, 0.2, generator=gen)
            elif name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0, generator=gen)
            elif name == "fc.weight":
                tensor.normal_(0.0, 2048**-0.5, generator=gen)
            elif name == "fc.bias":
                tensor.uniform_(-0.5, 0.5, generator=gen)
            else:
                raise ValueError(f"unexpected tensor {name}")


def tf1_resize(x, out_h, out_w):
    """TF 1.x ResizeBilinear, align_corners=False, legacy scaler, float32. x: (N, C, H, W) numpy float32."""

    def weights(in_size, out_size):
        scale = np.float32(in_size) / np.float32(out_size)
        source = np.arange(out_size, dtype=np.float32) * scale
        lower = np.floor(source)
        upper = np.minimum(np.ceil(source), in_size - 1)
        return lower.astype(np.int64), upper.astype(np.int64), (source - lower).astype(np.float32)

    y0, y1, y_lerp = weights(x.shape[2], out_h)
    x0, x1, x_lerp = weights(x.shape[3], out_w)
    top, bottom = x[:, :, y0, :], x[:, :, y1, :]
    top_row = top[..., x0] + (top[..., x1] - top[..., x0]) * x_lerp
    bottom_row = bottom[..., x0] + (bottom[..., x1] - bottom[..., x0]) * x_lerp
    return top_row + (bottom_row - top_row) * y_lerp[:, None]


def prepare(images, mode):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().float()  # CHW like torchvision's ToTensor
    if mode == "tf1":
        return (torch.from_numpy(tf1_resize(x.numpy(), 299, 299)) - 128) / 128
    x = F.interpolate(x / 255, size=(299, 299), mode="bilinear", align_corners=False)
    return 2 * x - 1


def features(net, x):
    spatial = {}
    hook = net.Mixed_6d.branch1x1.register_forward_hook(lambda module, inputs, output: spatial.update(out=output))
    h = net.maxpool1(net.Conv2d_2b_3x3(net.Conv2d_2a_3x3(net.Conv2d_1a_3x3(x))))
    h = net.maxpool2(net.Conv2d_4a_3x3(net.Conv2d_3b_1x1(h)))
    for block in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                  "Mixed_7a", "Mixed_7b", "Mixed_7c"):
        h = getattr(net, block)(h)
    hook.remove()
    pool3 = torch.flatten(net.avgpool(h), 1)
    return {
        "pool3": pool3,
        "logits": net.fc(pool3),
        "logits_unbiased": pool3 @ net.fc.weight.t(),
        # ADM: mixed_6/conv:0[..., :7] in NHWC, reshaped to (N, -1)
        "spatial": spatial["out"][:, :7].permute(0, 2, 3, 1).reshape(x.shape[0], -1),
    }


def main():
    out_dir = sys.argv[1]
    torch.set_num_threads(2)
    net = fid_inception()
    randomize(net)
    torch.save(net.state_dict(), os.path.join(out_dir, "weights.pth"), _use_new_zipfile_serialization=False)

    rng = np.random.RandomState(SEED)
    arrays = {}
    for k, (n, h, w) in enumerate(CASES):
        images = rng.randint(0, 256, size=(n, h, w, 3)).astype(np.uint8)
        arrays[f"images_{k}"] = images
        for mode in ("tf1", "torch"):
            arrays[f"{mode}_{k}_input"] = prepare(images, mode).numpy()
    batch = torch.cat([torch.from_numpy(arrays[f"{mode}_{k}_input"]) for mode, k in FORWARD])
    with torch.no_grad():  # one forward pass over every selected input (all are 299×299 now)
        outputs = features(net, batch)
    start = 0
    for mode, k in FORWARD:
        n = CASES[k][0]
        for name, value in outputs.items():
            arrays[f"{mode}_{k}_{name}"] = value[start : start + n].numpy()
        start += n
    np.savez(os.path.join(out_dir, "reference.npz"), **arrays)


if __name__ == "__main__":
    main()
