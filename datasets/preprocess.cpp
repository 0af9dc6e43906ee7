#include "datasets/preprocess.h"

#include <fmt/format.h>

#include "core/error.h"
#include "datasets/transforms/resize_crop.h"

namespace latentlab::datasets {

const char* preprocess_names() {
  return "none, adm-center-crop, resize-center-crop, center-crop";
}

Preprocess make_preprocess(const std::string& name, int resolution) {
  if (name == "none") return {{}, "none"};
  if (resolution < 1) fail_usage("--res", "must be >= 1 for --preprocess {}, got {}", name, resolution);
  if (name == "adm-center-crop")
    return {[resolution](const Image& im) { return adm_center_crop(im, resolution); },
            fmt::format("{}@{}", adm_center_crop_protocol_name(), resolution)};
  if (name == "resize-center-crop")
    return {[resolution](const Image& im) { return resize_center_crop(im, resolution, Filter::Bicubic); },
            fmt::format("{}@{}", resize_center_crop_protocol_name(Filter::Bicubic), resolution)};
  if (name == "center-crop")
    return {[resolution](const Image& im) { return center_crop(im, resolution); },
            fmt::format("{}@{}", center_crop_protocol_name(), resolution)};
  fail_usage("--preprocess", "unknown preprocessing '{}' (known: {})", name, preprocess_names());
}

}  // namespace latentlab::datasets
