// Internals of read_probe_data (probe_features.h): the arrays of a feature file, checked into ProbeData,
// and the HDF5 readers (latent stores and plain feature files; built where HDF5 is).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "metrics/probes/probe_features.h"

namespace latentlab::metrics {

struct FeatureArrays {
  at::Tensor features, labels, attributes, split;  // as stored; undefined when absent
  std::vector<std::string> attribute_names;
};

// Checks shapes and types (errors name `path`) and applies the feature mode (Pooled needs (N, C, h, w)).
ProbeData feature_file_data(const std::string& path, const std::string& kind, FeatureArrays arrays, FeatureMode mode);

#if LATENTLAB_WITH_HDF5
// A latent store (root attribute format = latentlab-latent-store) or a plain HDF5 feature file.
ProbeData read_hdf5_probe_data(const std::string& path, FeatureMode mode, uint64_t seed);
#endif

}  // namespace latentlab::metrics
