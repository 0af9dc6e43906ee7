// HDF5 inputs of `latentlab probe`: latent stores (through store::StoreReader / LatentLoader) and plain
// HDF5 feature files (datasets features, labels, attributes, split; attributes may carry a `names` attribute).
#if LATENTLAB_WITH_HDF5
#include <hdf5.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/progress.h"
#include "metrics/probes/probe_feature_file.h"
#include "store/hdf5_util.h"
#include "store/reader.h"

namespace latentlab::metrics {
namespace {

using store::detail::Hid;

bool is_latent_store(hid_t file) {
  if (!store::detail::has_attribute(file, "format")) return false;
  return store::detail::read_string_attribute(file, "format", "") == store::kFormatName;
}

// The whole dataset `name` as float64 or int64 (HDF5 converts), or undefined when absent.
at::Tensor read_dataset(hid_t file, const std::string& name, bool integer, const std::string& path) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) return {};
  Hid dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) fail(path, "cannot open dataset /{}", name);
  Hid space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 8) fail(path, "dataset /{} has rank {}", name, rank);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  std::vector<int64_t> shape(dims.begin(), dims.end());
  Hid type(H5Dget_type(dataset.get()), H5Tclose);
  const auto type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) fail(path, "dataset /{} is not numeric", name);
  if (integer && type_class != H5T_INTEGER) fail(path, "dataset /{} must hold integers", name);
  const bool as_int = type_class == H5T_INTEGER;
  auto out = at::empty(shape, as_int ? at::kLong : at::kDouble);
  if (H5Dread(dataset.get(), as_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
              out.data_ptr()) < 0)
    fail(path, "cannot read dataset /{}", name);
  return out;
}

ProbeData read_feature_hdf5(hid_t file, const std::string& path, FeatureMode mode) {
  FeatureArrays arrays;
  arrays.features = read_dataset(file, "features", false, path);
  if (!arrays.features.defined()) fail(path, "is neither a latent store nor has a /features dataset");
  arrays.labels = read_dataset(file, "labels", true, path);
  arrays.attributes = read_dataset(file, "attributes", true, path);
  arrays.split = read_dataset(file, "split", true, path);
  if (arrays.attributes.defined()) {
    Hid dataset(H5Dopen2(file, "attributes", H5P_DEFAULT), H5Dclose);
    if (store::detail::has_attribute(dataset.get(), "names"))
      arrays.attribute_names =
          store::detail::read_string_array_attribute(dataset.get(), "names", path + ":/attributes");
  }
  return feature_file_data(path, "hdf5", std::move(arrays), mode);
}

ProbeData read_store(const std::string& path, FeatureMode mode, uint64_t seed) {
  store::StoreReader reader(path);
  const auto& id = reader.info().header.identity;
  store::LoaderOptions options;
  options.sample = mode == FeatureMode::Sample;
  options.seed = seed;
  options.batch_size = 256;  // fixed: the seeded noise of batch b depends on its rows
  store::LatentLoader loader(reader, options);
  std::vector<at::Tensor> features, labels, attributes;
  ProgressBar progress("reading " + path, reader.rows(), "rows");
  while (auto batch = loader.next()) {
    features.push_back(latent_features(batch->mean, batch->z, mode));
    labels.push_back(batch->labels);
    if (batch->attributes.defined()) attributes.push_back(batch->attributes.to(at::kLong));
    progress.advance(batch->mean.size(0));
  }
  progress.finish();
  ProbeData d;
  d.kind = "latent store";
  d.features = at::cat(features);
  d.labels = at::cat(labels);
  if (!attributes.empty()) d.attributes = at::cat(attributes), d.attribute_names = id.attribute_names;
  return d;
}

}  // namespace

ProbeData read_hdf5_probe_data(const std::string& path, FeatureMode mode, uint64_t seed) {
  {
    const auto lock = store::detail::lock_hdf5();
    Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) fail(path, "cannot be opened as HDF5 (truncated or corrupt?)");
    if (!is_latent_store(file.get())) return read_feature_hdf5(file.get(), path, mode);
  }
  return read_store(path, mode, seed);
}

}  // namespace latentlab::metrics
#endif
