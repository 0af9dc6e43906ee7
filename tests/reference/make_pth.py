#!/usr/bin/python3
"""Writes torch.save files for tests/reference/pth_reference_test.cpp.

Usage: make_pth.py OUT_DIR

Every value is a deterministic function of torch.arange, so the C++ test recomputes the expected tensors
with ATen on its own and compares them exactly. The same objects are saved in both serialisations:
the zip format (torch.save's default since 1.6) and the legacy one (_use_new_zipfile_serialization=False),
with pickle protocol 2 (torch's default) and 4 (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE).
Needs only Debian's python3-torch.
"""
import collections
import os
import sys

import torch
from torch import nn


def plain_state_dict():
    """Every dtype, 0-d and empty tensors, and views: transposes, offsets, strides, stride 0, shared storage."""
    base = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    line = torch.arange(20, dtype=torch.float64)
    return {
        "f32": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) * 0.5 - 3,
        "f64": torch.arange(12, dtype=torch.float64).reshape(3, 4) / 7,
        "f16": (torch.arange(10, dtype=torch.float32) * 0.25).half(),
        "bf16": (torch.arange(10, dtype=torch.float32) * 0.5 - 2).bfloat16(),
        "i64": torch.arange(-5, 5, dtype=torch.int64) * 1000003,
        "i32": torch.arange(6, dtype=torch.int32).reshape(2, 3) * -7,
        "i16": torch.arange(-4, 4, dtype=torch.int16),
        "i8": torch.arange(-4, 4, dtype=torch.int8),
        "u8": torch.arange(256).to(torch.uint8),
        "bool": torch.arange(7) % 3 == 0,
        "scalar_f32": torch.tensor(3.5),
        "scalar_i64": torch.tensor(-7),
        "empty": torch.zeros(0),
        "empty_2d": torch.zeros(2, 0, 3, dtype=torch.float64),
        "transposed": torch.arange(12, dtype=torch.float32).reshape(3, 4).t(),
        "permuted": torch.arange(24, dtype=torch.int32).reshape(2, 3, 4).permute(2, 0, 1),
        "sliced": line[5:15],
        "strided": line[1::3],
        "expanded": torch.arange(3, dtype=torch.float32).reshape(3, 1).expand(3, 4),
        "shared_a": base,
        "shared_b": base[1],
        "shared_c": base[:, 2],
        "param": nn.Parameter(torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4),
    }


def small_state_dict(shift):
    return {
        "a": torch.arange(6, dtype=torch.float32).reshape(2, 3) + shift,
        "b": torch.arange(4, dtype=torch.int64) + int(shift),
    }


def module_state_dict():
    """An nn.Module's state_dict(): an OrderedDict with a _metadata attribute, parameters and buffers."""
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    with torch.no_grad():
        for i, tensor in enumerate(model.state_dict().values()):
            values = torch.arange(tensor.numel(), dtype=tensor.dtype).reshape(tensor.shape)
            tensor.copy_(values * 0.01 + i if tensor.is_floating_point() else values + i)
    state = model.state_dict()
    assert isinstance(state, collections.OrderedDict) and hasattr(state, "_metadata")
    return state


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    objects = {
        "plain": plain_state_dict(),
        "nested": {"state_dict": small_state_dict(0), "epoch": 3},
        "model_ema": {"model": small_state_dict(0), "ema": small_state_dict(0.5), "step": 100},
        "module": module_state_dict(),
    }
    for name, obj in objects.items():
        for protocol in (2, 4):
            torch.save(obj, os.path.join(out, f"{name}_zip_p{protocol}.pth"), pickle_protocol=protocol)
            torch.save(obj, os.path.join(out, f"{name}_legacy_p{protocol}.pth"), pickle_protocol=protocol,
                       _use_new_zipfile_serialization=False)
    print(torch.__version__)


if __name__ == "__main__":
    main()
