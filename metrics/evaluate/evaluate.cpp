#include "metrics/evaluate/evaluate.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/allocator.h"
#include "core/error.h"
#include "metrics/features/inception_extractor.h"
#include "metrics/features/teacher_extractor.h"
#include "metrics/generative/frechet.h"

namespace latentlab::metrics {
namespace {

const nlohmann::json* extractor_of(const FeatureSet& set) {
  const auto& p = set.stats.protocol;
  if (p.is_object() && p.contains("extractor") && p["extractor"].is_object()) return &p["extractor"];
  return nullptr;
}

void check_same_extractor(const FeatureSet& a, const FeatureSet& b) {
  const nlohmann::json* pa = extractor_of(a);
  const nlohmann::json* pb = extractor_of(b);
  if (pa == nullptr || pb == nullptr) return;  // a pytorch-fid / ADM file does not say: trust the user
  for (const char* key : {"extractor", "weights_sha256", "resize"}) {
    const auto va = pa->value(key, nlohmann::json()), vb = pb->value(key, nlohmann::json());
    if (va != vb)
      fail(b.source, "was made with extractor {} {} but {} with {}; the two sets are not comparable", key, vb.dump(),
           a.source, va.dump());
  }
}

// FD-DINOv2 only from DINOv2 features: a set made by another extractor, or an Inception statistics file
// (2048-d, no protocol), is refused rather than compared.
void check_dinov2_features(const FeatureSet& set) {
  const nlohmann::json* p = extractor_of(set);
  const std::string name = p != nullptr ? p->value("extractor", "") : "";
  if (p != nullptr ? name.rfind("dinov2-", 0) != 0 : set.stats.pool3->mu.size(0) == 2048)
    fail(set.source, "holds {} features, but fd_dinov2 needs DINOv2 CLS statistics",
         name.empty() ? "Inception pool3 (2048-d)" : name);
}

// fd-teacher only from teacher features whose protocol says so: statistics without a protocol (pytorch-fid,
// ADM) cannot tell which network made them.
void check_teacher_features(const FeatureSet& set) {
  const nlohmann::json* p = extractor_of(set);
  const std::string name = p != nullptr ? p->value("extractor", "") : "";
  if (name.rfind(kTeacherExtractorPrefix, 0) != 0)
    fail(set.source, "holds {} features, but fd-teacher needs teacher statistics (--features teacher:<spec>)",
         name.empty() ? "unlabelled (no protocol)" : name);
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

unsigned needs_of(const std::vector<std::string>& metric_names, bool real) {
  unsigned needs = kNeedNothing;
  for (const auto& name : metric_names) {
    const auto& entry = find_generative_metric(name, "--metrics");
    needs |= real ? entry.needs_real : entry.needs_fake;
  }
  return needs;
}

FeatureSet extract_feature_set(const ImageBatches& next, FeatureExtractor& extractor, unsigned needs,
                               nlohmann::json protocol, const std::string& role) {
  FeatureSet set;
  set.role = role;
  if (!protocol.is_object()) protocol = nlohmann::json::object();
  set.source = protocol.value("dataset", "");
  protocol["extractor"] = extractor.protocol();
  std::optional<stats::RunningMoments> pool3, spatial;
  auto dim_of = [&](const std::string& name) -> int64_t {
    for (const auto& output : extractor.outputs())
      if (output.name == name) return output.dim;
    fail("--extractor", "{} has no output '{}'", extractor.name(), name);
  };
  // The global feature: the extractor's first output (Inception pool3, DINOv2 cls).
  const std::string global = extractor.outputs().front().name;
  if (needs & kNeedPool3Stats) pool3.emplace(dim_of(global), true);
  if (needs & kNeedSpatialStats) spatial.emplace(dim_of(kFeatureSpatial), true);
  std::vector<at::Tensor> rows, logits;
  int64_t count = 0;
  while (auto batch = next()) {
    if (batch->size(0) == 0) continue;
    const at::Tensor nhwc = batch->permute({0, 2, 3, 1}).contiguous();
    Features f = extractor.extract(nhwc);
    count += nhwc.size(0);
    if (pool3) pool3->update(f.at(global));
    if (spatial) spatial->update(f.at(kFeatureSpatial));
    if (needs & kNeedPool3Rows) rows.push_back(f.at(global));
    if (needs & kNeedLogits) logits.push_back(f.at(kFeatureLogitsUnbiased));
  }
  if (count == 0) fail(role, "the input holds no images");
  set.stats.pool3_moments = std::move(pool3);
  set.stats.spatial_moments = std::move(spatial);
  set.stats.layout = "images";
  set.stats.protocol = std::move(protocol);
  set.stats.finish_from_moments();
  set.stats.count = count;
  if (!rows.empty()) set.pool3_rows = at::cat(rows);
  if (!logits.empty()) set.logits = at::cat(logits);
  rows.clear();
  logits.clear();
  // The tuned allocator keeps every freed activation block, and a set's batches leave free holes between live
  // blocks; the next set would add its own holes on top. Giving the free memory back here lowers the peak of
  // `metrics` on 2 × 1,000 images from 1,761 to 1,668 MiB (mean of 3) for 0.34 M page faults, ~3 s of system
  // time (docs/benchmarks.md, "Allocator").
  release_free_memory();
  return set;
}

FeatureSet load_stats_set(const MetricInput& input, const std::vector<std::string>& metric_names, bool real,
                          const std::string& subject) {
  std::vector<std::string> need_images;
  for (const auto& name : metric_names) {
    const auto& e = find_generative_metric(name, "--metrics");
    if ((real ? e.needs_real : e.needs_fake) & (kNeedPool3Rows | kNeedLogits)) need_images.push_back(name);
  }
  if (!need_images.empty())
    fail_usage(subject,
               "{} is a statistics file, but {} need{} every feature row (images); statistics serve fid "
               "and sfid only",
               input.to_string(), joined(need_images), need_images.size() == 1 ? "s" : "");
  FeatureSet set;
  set.role = real ? "real" : "fake";
  set.source = input.to_string();
  set.stats = read_feature_stats(input.spec);
  if ((needs_of(metric_names, real) & kNeedSpatialStats) && !set.stats.spatial)
    fail_usage(subject, "{} is a {} statistics file without spatial statistics (mu_s, sigma_s); sfid needs them",
               input.to_string(), set.stats.layout);
  return set;
}

std::vector<std::string> parse_metric_names(const std::vector<std::string>& values, const std::string& subject) {
  std::vector<std::string> names;
  for (const auto& value : values) {
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = std::min(value.find(',', start), value.size());
      std::string name = value.substr(start, comma - start);
      start = comma + 1;
      if (name.empty()) continue;
      std::replace(name.begin(), name.end(), '-', '_');  // fd-dinov2 (the spelling) = fd_dinov2
      find_generative_metric(name, subject);
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  if (names.empty()) fail_usage(subject, "names no metric (known: {})", joined(generative_metric_names()));
  return names;
}

nlohmann::json GenerativeOptions::to_json() const {
  nlohmann::json out = {{"metrics", metrics}};
  for (const auto& m : metrics) {
    if (m == "is") out["is"] = is.to_json();
    if (m == "kid") out["kid"] = kid.to_json();
    if (m == "pr") out["pr"] = pr.to_json();
  }
  return out;
}

nlohmann::json extractor_protocol(const FeatureSet* real, const FeatureSet& fake) {
  if (const auto* p = extractor_of(fake)) return *p;
  if (real != nullptr)
    if (const auto* p = extractor_of(*real)) return *p;
  return nullptr;
}

nlohmann::json compute_generative_metrics(const GenerativeOptions& options, const FeatureSet* real,
                                          const FeatureSet& fake) {
  if (real != nullptr) check_same_extractor(*real, fake);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& name : options.metrics) {
    const auto& entry = find_generative_metric(name, "--metrics");
    if (entry.needs_real != kNeedNothing && real == nullptr)
      fail_usage("--real", "is required for {} ({})", name, entry.summary);
    if (name == "fid") {
      out[kKeyFid] = frechet_distance(real->stats.pool3->mu, real->stats.pool3->sigma, fake.stats.pool3->mu,
                                      fake.stats.pool3->sigma);
    } else if (name == "fd_dinov2") {
      for (const FeatureSet* set : {real, &fake}) check_dinov2_features(*set);
      out[kKeyFdDinov2] = frechet_distance(real->stats.pool3->mu, real->stats.pool3->sigma, fake.stats.pool3->mu,
                                           fake.stats.pool3->sigma);
    } else if (name == kKeyFdTeacher) {
      for (const FeatureSet* set : {real, &fake}) check_teacher_features(*set);
      out[kKeyFdTeacher] = frechet_distance(real->stats.pool3->mu, real->stats.pool3->sigma, fake.stats.pool3->mu,
                                            fake.stats.pool3->sigma);
    } else if (name == "sfid") {
      out[kKeySfid] = frechet_distance(real->stats.spatial->mu, real->stats.spatial->sigma, fake.stats.spatial->mu,
                                       fake.stats.spatial->sigma);
    } else if (name == "is") {
      const auto r = inception_score(fake.logits.to(at::kDouble), options.is);
      out[kKeyIsMean] = r.mean;
      out[kKeyIsStd] = r.std;
    } else if (name == "kid") {
      // torch-fidelity's order: input1 (generated) is drawn first.
      const auto r = kernel_inception_distance(fake.pool3_rows, real->pool3_rows, options.kid);
      out[kKeyKidMean] = r.mean;
      out[kKeyKidStd] = r.std;
      out["kid_subset_size"] = r.subset_size;
    } else if (name == "pr") {
      const auto r = manifold_metrics(real->pool3_rows, fake.pool3_rows, options.pr);
      out[kKeyPrecision] = r.precision;
      out[kKeyRecall] = r.recall;
      out[kKeyDensity] = r.density;
      out[kKeyCoverage] = r.coverage;
    }
  }
  const nlohmann::json extractor = extractor_protocol(real, fake);
  out[kKeyOfficialWeights] =
      extractor.is_object() ? extractor.value("weights_official", nlohmann::json()) : nlohmann::json();
  out["count_fake"] = fake.count() >= 0 ? nlohmann::json(fake.count()) : nlohmann::json();
  if (real != nullptr) out["count_real"] = real->count() >= 0 ? nlohmann::json(real->count()) : nlohmann::json();
  return out;
}

}  // namespace latentlab::metrics

namespace latentlab::metrics {

std::string summarize_generative_metrics(const nlohmann::json& results) {
  const auto official = results.value(kKeyOfficialWeights, nlohmann::json());
  const std::string tag = official.is_boolean() ? (official.get<bool>() ? "" : " (unofficial Inception weights)")
                                                : " (Inception weights unknown)";
  std::string out;
  auto line = [&](const std::string& label, const char* key, const char* std_key = nullptr) {
    if (!results.contains(key)) return;
    out += fmt::format("{}{}: {:.6f}", label, tag, results[key].get<double>());
    if (std_key != nullptr) out += fmt::format(" ± {:.6f}", results[std_key].get<double>());
    out += "\n";
  };
  line("FID", kKeyFid);
  if (results.contains(kKeyFdDinov2)) out += fmt::format("FD-DINOv2: {:.6f}\n", results[kKeyFdDinov2].get<double>());
  if (results.contains(kKeyFdTeacher)) out += fmt::format("FD-teacher: {:.6f}\n", results[kKeyFdTeacher].get<double>());
  line("sFID", kKeySfid);
  line("IS", kKeyIsMean, kKeyIsStd);
  line("KID", kKeyKidMean, kKeyKidStd);
  line("Precision", kKeyPrecision);
  line("Recall", kKeyRecall);
  line("Density", kKeyDensity);
  line("Coverage", kKeyCoverage);
  return out;
}

}  // namespace latentlab::metrics
