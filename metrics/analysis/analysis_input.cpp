#include "metrics/analysis/analysis_input.h"

#include <fstream>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/ranges.h>  // fmt::join

#include "core/error.h"
#include "io/file_magic.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/probes/probe_features.h"
#if LATENTLAB_WITH_HDF5
#include <hdf5.h>

#include "store/hdf5_util.h"
#include "store/reader.h"
#include "store/schema.h"
#endif

namespace latentlab::metrics {
namespace {

#if LATENTLAB_WITH_HDF5
using store::detail::Hid;

// The /features dataset of a plain HDF5 file as float32, or undefined for a latent store.
at::Tensor read_hdf5_features(const std::string& path, bool* is_store) {
  const auto lock = store::detail::lock_hdf5();
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) fail(path, "cannot be opened as HDF5 (truncated or corrupt?)");
  *is_store = store::detail::has_attribute(file.get(), "format") &&
              store::detail::read_string_attribute(file.get(), "format", path) == store::kFormatName;
  if (*is_store) return {};
  if (H5Lexists(file.get(), "features", H5P_DEFAULT) <= 0) fail(path, "is neither a latent store nor has /features");
  Hid dataset(H5Dopen2(file.get(), "features", H5P_DEFAULT), H5Dclose);
  Hid space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 2 || rank > 8) fail(path, "/features must have 2 to 8 dimensions, has {}", rank);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Hid type(H5Dget_type(dataset.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_FLOAT) fail(path, "/features must be floating point");
  auto out = at::empty(std::vector<int64_t>(dims.begin(), dims.end()), at::kFloat);
  if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()) < 0)
    fail(path, "cannot read /features");
  return out;
}
#endif

// (features, kind) of a feature file, or an undefined tensor for a latent store.
std::pair<at::Tensor, std::string> read_features_array(const std::string& path) {
  if (!std::ifstream(path).good()) fail(path, "cannot be opened");
  if (io::file_starts_with(path, "\x89HDF\r\n\x1a\n", 8)) {
#if LATENTLAB_WITH_HDF5
    bool is_store = false;
    auto features = read_hdf5_features(path, &is_store);
    return {features, is_store ? "latent store" : "hdf5"};
#else
    fail(path, "is an HDF5 file, but this build has no HDF5 support");
#endif
  }
  if (io::file_starts_with(path, "PK", 2)) {
    io::NpzReader npz(path);  // without libzip this refuses the file (io/zip_archive_unavailable.cpp)
    if (!npz.contains("features")) fail(path, "has no 'features' array (arrays: {})", fmt::join(npz.names(), ", "));
    auto features = io::to_tensor(npz.read("features"));
    if (!at::isFloatingType(features.scalar_type())) fail(path, "'features' must be floating point");
    if (features.dim() < 2) fail(path, "'features' must be (examples, ...), got {} dimension(s)", features.dim());
    return {features.to(at::kFloat).contiguous(), "npz"};
  }
  fail(path, "is neither a latent store, an HDF5 feature file nor an .npz file");
}

}  // namespace

nlohmann::json AnalysisLatents::describe() const {
  auto shape = latents.sizes().vec();
  shape.erase(shape.begin());
  return {{"kind", kind}, {"rows", latents.size(0)}, {"row_shape", shape}};
}

AnalysisLatents read_analysis_latents(const std::string& path, bool sample, uint64_t seed) {
  auto [features, kind] = read_features_array(path);
  if (features.defined()) {
    if (sample) fail(path, "--sample needs a latent store (a feature file has no posterior std)");
    if (features.size(0) < 1) fail(path, "'features' has no rows");
    return {features, kind};
  }
#if LATENTLAB_WITH_HDF5
  // A latent store: the probe reader gives (N, C·h·w); the store's identity restores (C, h, w).
  const auto data = read_probe_data(path, sample ? FeatureMode::Sample : FeatureMode::Mean, seed);
  auto shape = store::StoreReader(path).info().header.identity.latent_shape;
  shape.insert(shape.begin(), data.features.size(0));
  return {data.features.reshape(shape), kind};
#else
  (void)seed;
  fail(path, "is a latent store, but this build has no HDF5 support");
#endif
}

at::Tensor read_feature_matrix(const std::string& path) {
  auto [features, kind] = read_features_array(path);
  if (!features.defined()) fail(path, "is a latent store; teacher features come in an .npz or HDF5 `features` array");
  if (features.dim() == 3) return features;  // patch tokens (N, T, D)
  return features.reshape({features.size(0), -1});
}

}  // namespace latentlab::metrics
