#!/usr/bin/python3
"""Writes a random SiT-tiny/1 (4x8x8 latents, 10 classes) as a latentlab SiT checkpoint for the `latentlab
sample` end-to-end test: safetensors with REPA's names, the config under "latentlab.sit.config" and, unless
--no-norm, the latent normalisation under "latentlab.latent_norm" (diffusion/latent_norm.h) naming the VAE by
its file's SHA-256. The network is ../models/sit_reference.py's, randomised (adaLN and final layer included) so
that the samples depend on the weights. The safetensors container is written by hand (Debian has no
python3-safetensors): 8-byte little-endian header length, JSON header padded with spaces, then the data.

  make_sit_checkpoint.py OUT.safetensors --vae VAE_FILE [--seed S] [--no-norm]
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
import sit_reference  # noqa: E402

CONFIG = dict(input_size=8, patch_size=1, in_channels=4, hidden_size=64, depth=2, num_heads=4, mlp_ratio=4.0,
              num_classes=10, class_dropout_prob=0.1, learn_sigma=False, encoder_depth=1, z_dims=[48],
              projector_dim=128)


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--vae", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-norm", action="store_true")
    args = parser.parse_args()
    model = sit_reference.SiT(CONFIG)
    sit_reference.randomise(model, torch.Generator().manual_seed(args.seed))
    metadata = {"format": "pt", "latentlab.sit.config": json.dumps(CONFIG)}
    if not args.no_norm:
        with open(args.vae, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        metadata["latentlab.latent_norm"] = json.dumps(
            {"mean": [0.1, -0.2, 0.0, 0.3], "std": [1.5, 0.8, 1.0, 2.0], "vae_sha256": sha, "vae_preset": "tiny-f4d4",
             "source": "make_sit_checkpoint.py"})
    write_safetensors(args.out, model.state_dict(), metadata)


if __name__ == "__main__":
    main()
