// The preprocessing transforms that every result records (its `protocol` block names them by
// protocol name), pixel-exact against the Python code that defines them:
//
//  - adm_center_crop: guided-diffusion `image_datasets.py` center_crop_arr, used by ADM, DiT, SiT, REPA,
//    REPA-E and LightningDiT for ImageNet: while min(H, W) >= 2*size, PIL-resize to (W//2, H//2) with BOX;
//    then PIL-resize with BICUBIC to (round(W*s), round(H*s)), s = size / min(W, H), Python's round (half to
//    even) on the float64 product; then crop size x size at ((H-size)//2, (W-size)//2).
//  - resize_center_crop: torchvision Resize(size) on a PIL image followed by CenterCrop(size): the short side
//    becomes `size`, the long side int(size*long/short) (truncated); PIL resampling with the named filter;
//    crop offsets int(round((H-size)/2)) and likewise for W (half to even, so they can differ by one from
//    ADM's floor).
//  - center_crop: crop size x size at ((H-size)//2, (W-size)//2), ADM's offsets, no resizing.
//
// resize_pil reproduces Pillow's Image.resize for 8-bit RGB (libImaging/Resample.c, checked against
// python3-pil 9.4 by tests/unit/datasets/resize_crop_test.cpp). Its rules, which differ from OpenCV's:
//  - separable: a horizontal pass first (skipped when the width is unchanged), its result stored as uint8,
//    then a vertical pass (skipped when the height is unchanged);
//  - output pixel o samples at centre c = (o + 0.5)*s, s = in/out; the kernel is stretched by
//    max(s, 1), so downscaling is antialiased; taps are the input pixels i in
//    [int(c - support + 0.5), int(c + support + 0.5)) clipped to the image, weighted by
//    kernel((i - c + 0.5)/max(s, 1)) and normalised to sum 1;
//  - weights are rounded to 22-bit fixed point, each pass accumulates integers from 2^21 (round half up)
//    and clips to [0, 255];
//  - BICUBIC is Keys' cubic with a = -0.5 (OpenCV INTER_CUBIC uses a = -0.75 and never antialiases);
//    BILINEAR is the triangle; BOX is 1 on (-0.5, 0.5] sampled at pixel centres, so for an integer factor
//    it is the exact area mean, and for W -> W//2 with odd W (s = 2 + 1/(W//2)) each output is the plain
//    mean of the 2 or 3 inputs whose centres fall in (o*s, (o+1)*s] (exactly one per row has 3).
// Even for the exact halving the result is not the rounded 2x2 mean: rows are averaged and rounded half
// up first, then columns ({1, 0; 0, 0} gives 1, not 0).
//
// Conventions: Image is uint8 RGB HWC (image_source.h). Invalid images or sizes throw UserError.
// Plain C++ (no OpenCV, no torch) so the transforms exist in every build, including GPU-only ones.
#pragma once

#include <string>

#include "datasets/image_source.h"

namespace latentlab::datasets {

// Resampling filters, PIL's: Area is PIL BOX (torchvision InterpolationMode.BOX), see above.
enum class Filter { Bicubic, Bilinear, Area };

std::string filter_name(Filter filter);  // "bicubic", "bilinear", "area"
// Parses a filter_name() string (also "box" for Area); a UserError names `subject` and lists the choices.
Filter parse_filter(const std::string& name, const std::string& subject);

// Pillow Image.resize(image, (width, height), filter) for RGB; returns height x width x 3.
Image resize_pil(const Image& image, int width, int height, Filter filter);

// guided-diffusion center_crop_arr; returns size x size x 3. Upscales images smaller than `size`.
Image adm_center_crop(const Image& image, int size);
std::string adm_center_crop_protocol_name();  // "adm-center-crop"

// torchvision Resize(size, filter) + CenterCrop(size) on a PIL image; returns size x size x 3.
Image resize_center_crop(const Image& image, int size, Filter filter);
// "resize-pil-bicubic-center-crop", "resize-pil-bilinear-center-crop", "resize-pil-box-center-crop".
std::string resize_center_crop_protocol_name(Filter filter);

// Crop size x size at ((H-size)//2, (W-size)//2); a UserError when the image is smaller than `size`.
Image center_crop(const Image& image, int size);
std::string center_crop_protocol_name();  // "center-crop"

}  // namespace latentlab::datasets
