// What a metric command reads for one side of a comparison (docs/inputs.md "Metric inputs"): either images,
// named by any dataset spec (datasets/dataset_spec.h) and streamed through a feature extractor, or
// precomputed feature statistics in a file (stats_set.h). Forms:
//
//   stats:FILE         a statistics file: latentlab's (stats make), pytorch-fid (mu, sigma) or an ADM reference
//                      batch (mu, sigma, mu_s, sigma_s; its arr_0 images are not read)
//   images:DIR, npz:FILE, shapes:..., cifar10:DIR, ...   images (any dataset spec)
//   a bare path        sniffed: a directory is images:DIR; an .npz holding mu and sigma is stats:FILE (an ADM
//                      reference batch too: its precomputed statistics are used); an .npz holding arr_0 but no
//                      mu/sigma is npz:FILE (an ADM sample batch). Anything else is an error listing the forms.
//
// Statistics inputs carry only Gaussian moments: they serve FID and sFID, never IS, KID or precision/recall.
// Torch-free.
#pragma once
#include <string>

namespace latentlab::metrics {

struct MetricInput {
  enum class Kind { Images, Stats };
  Kind kind = Kind::Images;
  std::string spec;  // Images: a dataset spec for datasets::open_dataset; Stats: the file path
  // The canonical spelling: "stats:FILE" or the dataset spec. Parsing it gives the same input back.
  std::string to_string() const { return kind == Kind::Stats ? "stats:" + spec : spec; }
};

// Parses or sniffs `text`; errors are usage UserErrors naming `subject` (e.g. "--real") and the forms.
MetricInput parse_metric_input(const std::string& text, const std::string& subject);

// The accepted forms, for help texts.
const char* metric_input_forms();

}  // namespace latentlab::metrics
