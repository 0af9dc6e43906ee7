// The Inception input protocol (docs/METRICS.md §1): uint8 images -> float32 (N, 3, 299, 299) in [-1, 1].
// Two named resize modes; the mode is never inferred and always recorded in a results' protocol block.
//
//   tf1-bilinear (toolkit default; the reference)
//       What the TF graph `classify_image_graph_def.pb` does after its input `ExpandDims` (and so what the ADM
//       evaluator and TTUR measure): ResizeBilinear with TF 1.x legacy semantics (align_corners=False, source
//       coordinate = destination index · in/out, no half-pixel offset, no antialias), then (x − 128)/128.
//       torch-fidelity ports the same (`interpolate_bilinear_2d_like_tensorflow1x`).
//   torch-bilinear (pytorch-fid legacy)
//       pytorch-fid's InceptionV3 with resize_input and normalize_input: x/255, F.interpolate(bilinear,
//       align_corners=False: half-pixel centres, no antialias), then 2x − 1.
//
// Both are the identity resize at 299×299, but the two normalisations differ by up to 1/255 there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::models {

enum class InceptionResize { TF1Bilinear, TorchBilinear };

const char* resize_name(InceptionResize mode);         // "tf1-bilinear", "torch-bilinear"
const char* normalization_name(InceptionResize mode);  // "(x-128)/128", "2*(x/255)-1"
std::vector<std::string> resize_names();               // every accepted name, default first
// Throws a usage UserError naming `subject` (e.g. "--resize") and listing the accepted names.
InceptionResize parse_resize(const std::string& name, const std::string& subject);

// TF 1.x legacy bilinear resize. x: (N, C, H, W) float32 (any device) -> (N, C, out_h, out_w) float32.
// Weights are computed on the host in float32 exactly as TF's `compute_interpolation_weights` with the
// legacy scaler, and combined in TF's order: top = tl + (tr − tl)·xλ, bottom likewise, top + (bottom − top)·yλ.
at::Tensor resize_bilinear_tf1(const at::Tensor& x, int64_t out_h, int64_t out_w);

// Throws UserError naming "images" unless `images` is (N, H, W, 3) uint8 with N ≥ 0, H, W ≥ 1.
void check_inception_images(const at::Tensor& images);

// images: (N, H, W, 3) uint8 on any device (ADM / npz layout), H, W ≥ 1.
// Returns (N, 3, 299, 299) float32 in [-1, 1] on the same device. Throws UserError naming "images" for any
// other dtype or shape.
at::Tensor prepare_inception_input(const at::Tensor& images, InceptionResize mode);

// The same values, channels-last (NHWC memory), as the CPU extractor runs the network. tf1-bilinear on the CPU
// reads the uint8 pixels and writes each normalised output value once (no 299² float temporaries), with the
// float operations of resize_bilinear_tf1 in the same order, so the result is bit-identical; other modes and
// devices convert prepare_inception_input's result.
at::Tensor prepare_inception_input_channels_last(const at::Tensor& images, InceptionResize mode);

}  // namespace latentlab::models
