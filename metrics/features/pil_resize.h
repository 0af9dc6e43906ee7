// Pillow's bicubic resize of uint8 RGB images, bit for bit: what dgm-eval's DINOv2 input does
// (torchvision `Resize((224, 224), BICUBIC)` on a PIL image → `Image.resize`), docs/METRICS.md §1 and §8
// ("PIL bicubic matches dgm-eval exactly"). The arithmetic is datasets::resize_pil's (Pillow's Resample.c:
// kernel a = −0.5, support 2·max(in/out, 1) so antialiased when shrinking, 22-bit fixed-point weights,
// horizontal pass first, uint8 after each pass); this adapts it to (N, H, W, 3) tensors.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

// images: (N, H, W, 3) uint8 (any device; computed on the CPU) → (N, out_h, out_w, 3) uint8 on the CPU.
at::Tensor resize_pil_bicubic(const at::Tensor& images, int64_t out_h, int64_t out_w);

}  // namespace latentlab::metrics
