// The one interface of a feature extractor (DESIGN.md "One interface per role"): uint8 images in, named
// float32 feature matrices out, plus the protocol block that makes the numbers comparable.
//
// Conventions for every extractor:
//   - images are (N, H, W, 3) uint8 RGB (the ADM / npz `arr_0` layout), on any device, any H and W the
//     extractor's input protocol resizes from; N may be 0;
//   - every output is a contiguous (N, dim) float32 CPU tensor, row i belonging to image i;
//   - results do not depend on the batch size the extractor runs with (it runs in batches of
//     `FeatureExtractorOptions::batch_size` on its device, inference mode);
//   - protocol() holds everything that changes a number: the extractor's registry name, the weights'
//     SHA-256 and whether they are the official file, the resize and normalisation, the outputs and dims.
// Extractors are listed in metrics/features/registry.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "io/array.h"

namespace latentlab {
class OptionGroup;
}

namespace latentlab::metrics {

struct FeatureOutput {
  std::string name;     // "pool3", "logits_unbiased", …
  int64_t dim = 0;      // columns of the (N, dim) matrix
  std::string summary;  // one line: what it is, what it is used for
};

// name -> (N, dim) float32 CPU.
using Features = std::map<std::string, at::Tensor>;

struct FeatureExtractorOptions {
  std::string weights;         // --extractor-weights: weights file (required; never downloaded)
  int64_t batch_size = 50;     // --extractor-batch-size: images per forward pass; does not change results
  std::string resize;          // --extractor-resize: input resize mode; "" = the extractor's default
  std::string device = "cpu";  // a resolved device ("cpu", "cuda:0"): set from the runtime's --device
  std::string features;        // --features: which extractor (registry.h make_features_extractor); "" = the
                               // metric's own (Inception; DINOv2 for fd_dinov2)

  // Binds the options above (the device comes from RuntimeOptions).
  void register_options(OptionGroup& group);
};

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor() = default;
  virtual std::string name() const = 0;  // registry name: "inception-2015-12-05"
  virtual std::vector<FeatureOutput> outputs() const = 0;
  // images: (N, H, W, 3) uint8 (see above). Throws UserError naming "images" for another dtype or shape.
  virtual Features extract(const at::Tensor& images) = 0;
  virtual nlohmann::json protocol() const = 0;

  // The same for an io::Array (e.g. an npz's arr_0), read without a copy.
  Features extract(const io::Array& images);
};

// Throws UserError naming "images" unless `images` is (N, H, W, 3) uint8 with H, W >= 1 ("the <extractor>
// extractor takes uint8 (N, H, W, 3) RGB images, got …").
void check_rgb_images(const at::Tensor& images, const std::string& extractor);

// Concatenates the features of consecutive batches output by output, in row order. Every part must have
// the same outputs.
Features concat_features(const std::vector<Features>& parts);

}  // namespace latentlab::metrics
