// Decoding one image file (JPEG, PNG, WebP, BMP; whatever else OpenCV's imgcodecs reads) into the project's
// Image: uint8 RGB, H x W x 3 (image_source.h). The file is decoded with cv::imdecode(IMREAD_UNCHANGED), so
// the stored channels and bit depth reach us unchanged and are converted here, the same way for every format:
//  - grey: replicated to R = G = B;
//  - alpha (grey + alpha, BGRA): the alpha channel is dropped, not composited. This is what the ADM and
//    torchvision loaders do (PIL's convert("RGB")), so transparent pixels keep their stored colour and
//    latents and statistics match those computed by the Python tools;
//  - 16 bits per channel: v -> round(v / 257), which maps 0..65535 onto 0..255 with 255 * 257 = 65535
//    (no ties occur: v / 257 is never k + 1/2);
//  - BGR (OpenCV's order) -> RGB.
// Other depths (signed, floating point: EXR, HDR) are refused. EXIF orientation is ignored, as PIL ignores it
// unless asked, so pixels are the stored ones.
// Without OpenCV (LATENTLAB_WITH_OPENCV undefined) every decode fails with a UserError saying so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::datasets {

// True where the library was built with OpenCV and can decode image files.
bool image_decode_supported();

// Decodes the encoded file in `data[0, size)`. Throws UserError naming `subject` (the file) with
// "cannot decode image (...)" when the bytes are not an image OpenCV reads, or are corrupt or truncated.
Image decode_image(const uint8_t* data, size_t size, const std::string& subject);
Image decode_image(const std::vector<uint8_t>& bytes, const std::string& subject);
// Reads and decodes the file at `path`; a missing or unreadable file is a UserError naming it too.
Image read_image(const std::string& path);

}  // namespace latentlab::datasets
