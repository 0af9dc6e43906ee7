#include "metrics/probes/probe_features.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <ATen/ATen.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "io/file_magic.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/probes/probe_feature_file.h"

namespace latentlab::metrics {

FeatureMode parse_feature_mode(const std::string& text, const std::string& subject) {
  if (text == "mean") return FeatureMode::Mean;
  if (text == "pooled") return FeatureMode::Pooled;
  if (text == "sample") return FeatureMode::Sample;
  fail_usage(subject, "unknown feature mode '{}' (known: mean, pooled, sample)", text);
}

const char* feature_mode_name(FeatureMode mode) {
  switch (mode) {
    case FeatureMode::Mean:
      return "mean";
    case FeatureMode::Pooled:
      return "pooled";
    case FeatureMode::Sample:
      return "sample";
  }
  return "?";
}

at::Tensor latent_features(const at::Tensor& mean, const at::Tensor& z, FeatureMode mode) {
  LATENTLAB_ASSERT(mean.dim() == 4, "latents must be (N, C, h, w)");
  switch (mode) {
    case FeatureMode::Mean:
      return mean.reshape({mean.size(0), -1}).to(at::kFloat);
    case FeatureMode::Pooled:
      return mean.to(at::kFloat).mean({2, 3});
    case FeatureMode::Sample:
      LATENTLAB_ASSERT(z.defined(), "sample features need z");
      return z.reshape({z.size(0), -1}).to(at::kFloat);
  }
  return {};
}

nlohmann::json ProbeData::describe() const {
  nlohmann::json j{{"kind", kind}, {"rows", features.size(0)}, {"features", features.size(1)}};
  j["labels"] = labels.defined();
  j["attributes"] = attribute_names;
  j["official_split"] = split.defined();
  return j;
}

namespace {

ProbeData read_npz_data(const std::string& path, FeatureMode mode) {
  io::NpzReader npz(path);
  if (!npz.contains("features")) fail(path, "has no 'features' array (arrays: {})", fmt::join(npz.names(), ", "));
  FeatureArrays arrays;
  arrays.features = io::to_tensor(npz.read("features"));
  if (npz.contains("labels")) arrays.labels = io::to_tensor(npz.read("labels"));
  if (npz.contains("attributes")) arrays.attributes = io::to_tensor(npz.read("attributes"));
  if (npz.contains("split")) arrays.split = io::to_tensor(npz.read("split"));
  return feature_file_data(path, "npz", std::move(arrays), mode);
}

}  // namespace

ProbeData feature_file_data(const std::string& path, const std::string& kind, FeatureArrays arrays, FeatureMode mode) {
  ProbeData d;
  d.kind = kind;
  const auto& f = arrays.features;
  if (f.dim() < 2 || f.size(0) < 1) fail(path, "'features' must be (examples, ...) with at least one row");
  if (!at::isFloatingType(f.scalar_type())) fail(path, "'features' must be floating point");
  const int64_t n = f.size(0);
  if (mode == FeatureMode::Sample) fail(path, "--features sample needs a latent store (a feature file has no std)");
  if (mode == FeatureMode::Pooled && f.dim() != 4)
    fail(path, "--features pooled needs 4-D (N, C, h, w) features, got {} dimensions", f.dim());
  d.features = mode == FeatureMode::Pooled ? latent_features(f, {}, mode) : f.reshape({n, -1}).to(at::kFloat);
  auto integers = [&](const at::Tensor& t, int64_t dims, const char* name) {
    if (!t.defined()) return at::Tensor();
    if (t.dim() != dims || t.size(0) != n)
      fail(path, "'{}' must have {} dimension(s) and {} rows (one per feature row)", name, dims, n);
    if (!at::isIntegralType(t.scalar_type(), true)) fail(path, "'{}' must be integers", name);
    return t.to(at::kLong).contiguous();
  };
  d.labels = integers(arrays.labels, 1, "labels");
  d.attributes = integers(arrays.attributes, 2, "attributes");
  d.split = integers(arrays.split, 1, "split");
  if (d.split.defined() && !((d.split >= 0) & (d.split <= 2)).all().item<bool>())
    fail(path, "'split' values must be 0 (train), 1 (validation) or 2 (test)");
  if (!d.labels.defined() && !d.attributes.defined()) fail(path, "has neither 'labels' nor 'attributes'");
  if (d.attributes.defined()) {
    d.attribute_names = std::move(arrays.attribute_names);
    if (d.attribute_names.empty())
      for (int64_t a = 0; a < d.attributes.size(1); ++a) d.attribute_names.push_back(std::to_string(a));
    if (static_cast<int64_t>(d.attribute_names.size()) != d.attributes.size(1))
      fail(path, "names {} attributes but 'attributes' has {} columns", d.attribute_names.size(), d.attributes.size(1));
  }
  return d;
}

ProbeData read_probe_data(const std::string& path, FeatureMode mode, uint64_t seed) {
  if (!std::ifstream(path).good()) fail(path, "cannot be opened");
  if (io::file_starts_with(path, "\x89HDF\r\n\x1a\n", 8)) {
#if LATENTLAB_WITH_HDF5
    return read_hdf5_probe_data(path, mode, seed);
#else
    fail(path, "is an HDF5 file, but this build has no HDF5 support");
#endif
  }
  // Without libzip io::NpzReader refuses the file with one line (io/zip_archive_unavailable.cpp).
  if (io::file_starts_with(path, "PK", 2)) return read_npz_data(path, mode);
  (void)seed;
  fail(path, "is neither a latent store, an HDF5 feature file nor an .npz file");
}

ProbeSplits make_splits(const ProbeData& data, const SplitFractions& fractions, uint64_t seed,
                        const std::string& subject, const std::string& official) {
  const int64_t n = data.features.size(0);
  ProbeSplits s;
  s.fractions = fractions;
  s.seed = seed;
  std::mt19937_64 rng(seed);
  if (data.split.defined()) {
    s.source = official;
    const int64_t* p = data.split.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) (p[i] == 0 ? s.train : p[i] == 1 ? s.validation : s.test).push_back(i);
    if (s.validation.empty() && s.train.size() > 1) {  // carve a seeded validation part off the training rows
      auto order = s.train;
      std::shuffle(order.begin(), order.end(), rng);
      const auto count = std::clamp<int64_t>(std::llround(fractions.validation * static_cast<double>(order.size())), 1,
                                             static_cast<int64_t>(order.size()) - 1);
      s.validation.assign(order.begin(), order.begin() + count);
      s.train.assign(order.begin() + count, order.end());
      std::sort(s.train.begin(), s.train.end());
      std::sort(s.validation.begin(), s.validation.end());
      s.source += ", validation carved from training (seeded)";
    }
  } else {
    if (!(fractions.validation > 0 && fractions.test > 0 && fractions.validation + fractions.test < 1))
      fail_usage("--split", "validation and test fractions must be positive with a sum below 1");
    s.source = "seeded random";
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const int64_t test = std::max<int64_t>(1, std::llround(fractions.test * static_cast<double>(n)));
    const int64_t validation = std::max<int64_t>(1, std::llround(fractions.validation * static_cast<double>(n)));
    if (test + validation >= n) fail(subject, "has {} rows: too few to split into train, validation and test", n);
    s.test.assign(order.begin(), order.begin() + test);
    s.validation.assign(order.begin() + test, order.begin() + test + validation);
    s.train.assign(order.begin() + test + validation, order.end());
    for (auto* v : {&s.train, &s.validation, &s.test}) std::sort(v->begin(), v->end());
  }
  if (s.train.empty()) fail(subject, "has no training rows");
  if (s.test.empty()) fail(subject, "has no test rows");
  return s;
}

nlohmann::json ProbeSplits::to_json() const {
  nlohmann::json j{{"source", source},
                   {"train", train.size()},
                   {"validation", validation.size()},
                   {"test", test.size()},
                   {"seed", seed}};
  if (source.rfind("seeded", 0) == 0) j["fractions"] = {{"validation", fractions.validation}, {"test", fractions.test}};
  return j;
}

ProbeData join_splits(const ProbeData& train, const ProbeData* validation, const ProbeData& test,
                      const std::string& validation_path, const std::string& test_path) {
  std::vector<const ProbeData*> parts{&train};
  std::vector<std::string> paths{""};
  std::vector<int64_t> codes{0};
  if (validation) parts.push_back(validation), paths.push_back(validation_path), codes.push_back(1);
  parts.push_back(&test), paths.push_back(test_path), codes.push_back(2);
  ProbeData out;
  out.kind = train.kind;
  out.attribute_names = train.attribute_names;
  std::vector<at::Tensor> features, labels, attributes, split;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = *parts[i];
    if (i > 0) {
      if (p.features.size(1) != train.features.size(1))
        fail(paths[i], "has {} features per row but the training input has {}", p.features.size(1),
             train.features.size(1));
      if (p.labels.defined() != train.labels.defined() || p.attribute_names != train.attribute_names)
        fail(paths[i], "has other targets than the training input (labels or attribute names differ)");
    }
    features.push_back(p.features);
    if (p.labels.defined()) labels.push_back(p.labels);
    if (p.attributes.defined()) attributes.push_back(p.attributes);
    split.push_back(at::full({p.features.size(0)}, codes[i], at::kLong));
  }
  out.features = at::cat(features);
  if (!labels.empty()) out.labels = at::cat(labels);
  if (!attributes.empty()) out.attributes = at::cat(attributes);
  out.split = at::cat(split);
  return out;
}

ProbeData select_rows(const ProbeData& data, const std::vector<int64_t>& rows) {
  const auto index = at::tensor(rows, at::kLong);
  auto pick = [&](const at::Tensor& t) { return t.defined() ? t.index_select(0, index) : at::Tensor(); };
  ProbeData out;
  out.features = pick(data.features);
  out.labels = pick(data.labels);
  out.attributes = pick(data.attributes);
  out.attribute_names = data.attribute_names;
  out.kind = data.kind;
  return out;
}

}  // namespace latentlab::metrics
