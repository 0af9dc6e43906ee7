// Where a probe's features and targets come from (issue 6, docs/probes.md):
//   - an HDF5 latent store written by `latentlab cache` (docs/latent-store.md): the posterior mean flattened
//     (the paper's protocol, default), the mean pooled over space per channel, or one seeded sample
//     z = mean + std·ε (LatentLoader's seeded noise); labels from /labels, targets from /attributes;
//   - an .npz or plain HDF5 file with a `features` array (N × ..., flattened to N × D) and `labels` (N)
//     and/or `attributes` (N × A) arrays, and optionally `split` (N: 0 train, 1 validation, 2 test — CelebA's
//     list_eval_partition codes) holding the dataset's official split.
// Splits: the file's official `split` where it has one (or separate validation/test inputs, see
// probe_command), else a seeded random split with stated fractions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

enum class FeatureMode { Mean, Pooled, Sample };
FeatureMode parse_feature_mode(const std::string& text, const std::string& subject);
const char* feature_mode_name(FeatureMode mode);  // "mean", "pooled", "sample"

// Features of latents (N, C, h, w): mean flattened (N, C·h·w), mean pooled over (h, w) (N, C), or the sample
// flattened. `z` is only read for Sample.
at::Tensor latent_features(const at::Tensor& mean, const at::Tensor& z, FeatureMode mode);

struct ProbeData {
  at::Tensor features;                       // (N, D) float32 CPU
  at::Tensor labels;                         // (N) int64; undefined when the input has none
  at::Tensor attributes;                     // (N, A) int64; undefined when none
  std::vector<std::string> attribute_names;  // A names (indices as text when the file names none)
  at::Tensor split;                          // (N) int64 in {0, 1, 2}; undefined when the file has none
  std::string kind;                          // "latent store", "npz", "hdf5"
  nlohmann::json describe() const;           // kind, rows, feature shape, targets present
};

// Reads `path` (a latent store, an .npz or an HDF5 feature file, told apart by their contents). Errors name
// the file. `seed` seeds the noise of FeatureMode::Sample; Pooled needs 4-D (N, C, h, w) features.
ProbeData read_probe_data(const std::string& path, FeatureMode mode, uint64_t seed);

struct SplitFractions {
  double validation = 0.1, test = 0.2;  // the rest trains
};

struct ProbeSplits {
  std::vector<int64_t> train, validation, test;  // row indices, ascending
  std::string source;                            // "official (file)", "seeded random", "separate inputs"
  nlohmann::json to_json() const;                // source, row counts, fractions and seed when seeded
  SplitFractions fractions;
  uint64_t seed = 0;
};

// The official split when `data.split` is defined (`official` names its source; a validation part is carved
// off the training rows, seeded, when it has none), else a seeded permutation cut into test, validation and
// training rows (test and validation sizes rounded, each at least one row). Errors name `subject`.
ProbeSplits make_splits(const ProbeData& data, const SplitFractions& fractions, uint64_t seed,
                        const std::string& subject, const std::string& official = "official (file)");

// Separate inputs (e.g. stores of a dataset's official train/validation/test splits) as one ProbeData whose
// `split` marks their rows 0, 1 and 2. Features, labels and attribute names must agree; errors name the file.
ProbeData join_splits(const ProbeData& train, const ProbeData* validation, const ProbeData& test,
                      const std::string& validation_path, const std::string& test_path);

// Rows `rows` of every defined tensor of `data` (split dropped).
ProbeData select_rows(const ProbeData& data, const std::vector<int64_t>& rows);

}  // namespace latentlab::metrics
