#include "metrics/reconstruction/recon_evaluation.h"

#include <cmath>
#include <optional>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include "core/error.h"
#include "metrics/features/inception_extractor.h"
#include "metrics/generative/frechet.h"
#include "metrics/reconstruction/lpips_metric.h"
#include "metrics/reconstruction/psnr.h"
#include "models/autoencoder_kl.h"
#include "models/lpips_vgg.h"
#include "stats/running_moments.h"

namespace latentlab::metrics {
namespace {

constexpr const char* kQuantization = "uint8 = clamp(floor((x + 1) * 127.5 + 0.5), 0, 255)";

// Inception pool3 moments of one set (originals or reconstructions).
struct Pool3Moments {
  std::optional<stats::RunningMoments> moments;
  void update(FeatureExtractor& extractor, const at::Tensor& images) {
    const at::Tensor pool3 = extractor.extract(images.permute({0, 2, 3, 1}).contiguous()).at(kFeaturePool3);
    if (!moments) moments.emplace(pool3.size(1), true);
    moments->update(pool3);
  }
};

// The mean of saved per-image values (SSIM and LPIPS finalize as this mean).
class SavedValues final : public PerImageMetric {
 public:
  SavedValues(std::string name, const std::vector<double>& values) : name_(std::move(name)) { add_values(values); }
  std::string name() const override { return name_; }
  nlohmann::json finalize() const override { return mean_json(); }

 protected:
  at::Tensor compute(const at::Tensor&, const at::Tensor&) const override {
    LATENTLAB_ASSERT(false, "SavedValues holds finished values");
    return {};
  }

 private:
  std::string name_;
};

// Appends the first pairs of a batch until `wanted` are kept.
void keep_for_grid(ReconReport& report, const at::Tensor& originals, const at::Tensor& recon, int64_t wanted) {
  const int64_t have = report.grid_originals.defined() ? report.grid_originals.size(0) : 0;
  const int64_t take = std::min(wanted - have, originals.size(0));
  if (take <= 0) return;
  auto append = [&](at::Tensor& kept, const at::Tensor& batch) {
    const at::Tensor part = batch.narrow(0, 0, take).to(at::kCPU);
    kept = kept.defined() ? at::cat({kept, part}) : part.clone();
  };
  append(report.grid_originals, originals);
  append(report.grid_reconstructions, recon);
}

}  // namespace

at::Tensor reconstruct_images(const models::AutoencoderKL& vae, const at::Tensor& images, bool sample,
                              at::Generator* generator, int64_t skip_first, int64_t skip_between) {
  const int64_t f = vae.config().downsampling_factor();
  if (images.size(2) % f != 0 || images.size(3) % f != 0)
    fail("images", "{}x{} images are not multiples of the VAE's downsampling factor {} (see --preprocess, --res)",
         images.size(2), images.size(3), f);
  c10::NoGradGuard no_grad;
  const at::Tensor x = images.to(vae.device()).to(at::kFloat).div(127.5).sub(1.0);
  const auto posterior = vae.encode(x);
  at::Tensor z = posterior.mean;
  if (sample) {
    // One draw per image, in row order: the same noise whatever the batch size (or the shard, whose other
    // positions' draws are discarded).
    const auto draw = [&] { return at::randn(z.sizes().slice(1), *generator, at::TensorOptions().dtype(at::kFloat)); };
    std::vector<at::Tensor> noise;
    for (int64_t i = 0; i < z.size(0); ++i) {
      for (int64_t skip = i == 0 ? skip_first : skip_between; skip > 0; --skip) draw();
      noise.push_back(draw());
    }
    z = z + posterior.std * at::stack(noise).to(z.device());
  }
  const at::Tensor decoded = vae.decode(z);
  return decoded.add(1.0).mul(127.5).add(0.5).floor().clamp(0, 255).to(at::kByte);
}

ReconReport evaluate_reconstructions(const ImageBatches& next, const models::AutoencoderKL& vae,
                                     FeatureExtractor* extractor, std::shared_ptr<const models::LpipsVGG> lpips,
                                     const ReconOptions& options) {
  PsnrMetric psnr;
  SsimMetric ssim(options.ssim);
  std::optional<LpipsMetric> lpips_metric;
  if (lpips) lpips_metric.emplace(lpips);
  Pool3Moments originals_pool3, recon_pool3;
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  ReconReport report;
  while (auto batch = next()) {
    if (batch->size(0) == 0) continue;
    const at::Tensor originals = batch->to(vae.device());
    const int64_t skip_first = report.count == 0 ? options.noise_offset : options.noise_stride - 1;
    const at::Tensor recon =
        reconstruct_images(vae, originals, options.sample, &generator, skip_first, options.noise_stride - 1);
    psnr.update(originals, recon);
    ssim.update(originals, recon);
    if (lpips_metric) lpips_metric->update(originals, recon);
    if (extractor != nullptr) {
      originals_pool3.update(*extractor, originals);
      recon_pool3.update(*extractor, recon);
    }
    report.count += originals.size(0);
    keep_for_grid(report, originals, recon, options.grid_images);
  }
  if (report.count == 0) fail("--data", "the input holds no images");

  ReconParts& parts = report.parts;
  parts.count = report.count;
  parts.psnr = psnr.values();
  parts.ssim = ssim.values();
  parts.lpips_computed = lpips_metric.has_value();
  if (lpips_metric) parts.lpips = lpips_metric->values();
  if (extractor != nullptr) {
    parts.originals_pool3 = std::move(originals_pool3.moments);
    parts.recon_pool3 = std::move(recon_pool3.moments);
  }
  if (!options.parts_only) report.results = reconstruction_results(parts);

  report.protocol = {
      {"reconstruction", options.sample ? "posterior-sample" : "posterior-mean"},
      {"sample_seed", options.sample ? nlohmann::json(options.seed) : nlohmann::json()},
      {"quantization", kQuantization},
      {"count", report.count},
      {"psnr", {{"data_range", 255}, {"mse", "float64 over all pixels and channels"}, {"mean", "over images"}}},
      {"ssim", options.ssim.to_json()},
      {"lpips", lpips_metric ? lpips_metric->protocol() : nlohmann::json()},
      {"extractor", extractor != nullptr ? extractor->protocol() : nlohmann::json()}};
  if (extractor != nullptr) report.protocol["weights_sha256"] = extractor->protocol().value("weights_sha256", "");
  return report;
}

nlohmann::json reconstruction_results(const ReconParts& parts) {
  nlohmann::json r = nlohmann::json::object();
  r[kKeySkipped] = nlohmann::json::object();
  if (parts.originals_pool3 && parts.recon_pool3) {
    if (parts.count < 2) fail("--data", "rFID needs at least 2 images, the input holds {}", parts.count);
    const auto& a = *parts.recon_pool3;
    const auto& b = *parts.originals_pool3;
    r[kKeyRfid] = frechet_distance(a.mean(), a.covariance(), b.mean(), b.covariance());
  } else {
    r[kKeySkipped][kKeyRfid] = "no Inception weights given";
  }
  PsnrMetric psnr;
  psnr.add_values(parts.psnr);
  r.update(psnr.finalize());
  r.update(SavedValues(kKeySsim, parts.ssim).finalize());
  if (parts.lpips_computed)
    r.update(SavedValues(kKeyLpips, parts.lpips).finalize());
  else
    r[kKeySkipped][kKeyLpips] = "no LPIPS weights given";
  r["count"] = parts.count;
  return r;
}

std::string summarize_reconstruction(const nlohmann::json& results) {
  std::string out;
  const auto& skipped = results.at(kKeySkipped);
  auto line = [&](const char* label, const char* key) {
    if (skipped.contains(key)) {
      out += fmt::format("{}: skipped ({})\n", label, skipped[key].get<std::string>());
    } else if (results.contains(key) && results[key].is_number()) {
      out += fmt::format("{}: {:.6f}\n", label, results[key].get<double>());
    }
  };
  line("rFID", kKeyRfid);
  if (results.at(kKeyPsnr).is_null() && results.value(kKeyPsnrInfiniteCount, 0) > 0) {
    const auto finite = results[kKeyPsnrFiniteMean];
    out += fmt::format("PSNR: inf ({} identical pairs; mean of the others {})\n",
                       results[kKeyPsnrInfiniteCount].get<int64_t>(),
                       finite.is_number() ? fmt::format("{:.4f} dB", finite.get<double>()) : "n/a");
  } else {
    line("PSNR (dB)", kKeyPsnr);
  }
  line("SSIM", kKeySsim);
  line("LPIPS", kKeyLpips);
  out += fmt::format("images: {}\n", results.at("count").get<int64_t>());
  return out;
}

}  // namespace latentlab::metrics
