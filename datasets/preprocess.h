// The preprocessing a command applies to every image before batching, chosen by name, with the protocol
// name results record:
//   none                      images as decoded (all must share one size to be batched)
//   adm-center-crop           guided-diffusion center_crop_arr to RES (Pillow-exact)
//   resize-center-crop        torchvision Resize(RES) + CenterCrop(RES), PIL bicubic
//   center-crop               crop only, to RES
#pragma once

#include <string>

#include "datasets/pipeline.h"

namespace latentlab::datasets {

struct Preprocess {
  Pipeline::Transform transform;  // empty for none
  std::string protocol;           // "adm-center-crop@256", "none"
};

// Throws UserError naming `--preprocess` or `--res` for an unknown name or a bad size.
Preprocess make_preprocess(const std::string& name, int resolution);

const char* preprocess_names();  // "none, adm-center-crop, resize-center-crop, center-crop"

}  // namespace latentlab::datasets
