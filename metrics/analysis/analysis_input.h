// Inputs of `latentlab analyze` (docs/analysis.md):
//   latents  - a latent store written by `latentlab cache` (the posterior mean, or one seeded sample
//              z = mean + std·ε), read through the probe reader (metrics/probes/probe_features.h) and given
//              back its (C, h, w) shape; or an .npz / plain HDF5 file with a `features` array, (N, C, h, w)
//              for spatial latents or (N, D) for vectors. Feature files need no labels here.
//   teacher  - an .npz / plain HDF5 file with a `features` array (N, ...), flattened to (N, D): a teacher's
//              features (e.g. DINOv2) of the same images, in the same row order as the latents; a 3-D array
//              (N, T, D) is kept as patch tokens (row-major T = g x g grid) for the patch-level alignment.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct AnalysisLatents {
  at::Tensor latents;               // float32 CPU, (N, C, h, w) or (N, D)
  std::string kind;                 // "latent store", "npz", "hdf5"
  nlohmann::json describe() const;  // kind, rows, shape of one row
};

// Errors name `path`. `sample` (latent stores only) draws z with `seed`.
AnalysisLatents read_analysis_latents(const std::string& path, bool sample, uint64_t seed);

// The `features` array of an .npz or plain HDF5 file as float32 (N, D), or (N, T, D) as given (patch tokens).
// Errors name `path`.
at::Tensor read_feature_matrix(const std::string& path);

}  // namespace latentlab::metrics
