#include "diffusion/sample_run.h"

#include <filesystem>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <fmt/format.h>
#ifdef LATENTLAB_WITH_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "diffusion/sit_velocity.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/npy.h"
#include "io/tensor_convert.h"
#include "models/autoencoder_kl.h"
#include "models/sit.h"
#if LATENTLAB_WITH_ZIP
#include "io/npz.h"
#endif

namespace latentlab::diffusion {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_options(const models::SiT& sit, const LatentNorm& norm, const SampleRunOptions& o) {
  if (o.num < 1) fail_usage("--num", "must be >= 1, got {}", o.num);
  if (o.batch < 1) fail_usage("--batch", "must be >= 1, got {}", o.batch);
  if (o.out.empty()) fail_usage("--out", "is required");
  if (o.label_mode != "uniform" && o.label_mode != "balanced")
    fail_usage("--labels", "unknown label mode '{}' (known: uniform, balanced)", o.label_mode);
  o.sampler.validate();
  if (norm.channels() != sit.config().in_channels)
    fail("latent normalisation", "has {} channels, the SiT reads {}", norm.channels(), sit.config().in_channels);
#ifndef LATENTLAB_WITH_OPENCV
  if (!ends_with(o.out, ".npz")) fail_usage("--out", "PNG folders need OpenCV, which this build lacks; write an .npz");
#endif
#if !LATENTLAB_WITH_ZIP
  if (ends_with(o.out, ".npz")) fail_usage("--out", ".npz output needs libzip, which this build lacks; write PNGs");
#endif
  if (fs::exists(o.out)) fail_usage("--out", "'{}' exists; remove it or choose another path", o.out);
}

// Everything that changes the samples; a partial folder is resumed only under the same identity.
nlohmann::json run_identity(const models::SiT& sit, const models::AutoencoderKL& vae, const LatentNorm& norm,
                            const SampleRunOptions& o, const distributed::ShardRange& range) {
  const SamplerOptions& s = o.sampler;
  nlohmann::json sampler = {{"kind", s.kind}, {"steps", s.steps}, {"integration_dtype", "float64"}};
  if (s.kind == "sde") sampler.update({{"t_last", s.sde_last_t}, {"diffusion", "2t"}, {"last_step", "mean"}});
  return {{"num", o.num},
          {"shard", o.shard.str()},
          {"first_index", range.begin},
          {"count", range.size()},
          {"batch", o.batch},
          {"seed", o.seed},
          {"seeding", "per-sample CPU generator, seed splitmix64(splitmix64(seed) ^ index)"},
          {"labels", o.label_mode},
          {"num_classes", sit.config().num_classes},
          {"sampler", sampler},
          {"guidance",
           {{"scale", s.guidance.scale}, {"low", s.guidance.low}, {"high", s.guidance.high}, {"channels", "all"}}},
          {"time_convention", "x_t = (1 - t) x + t eps, t = 1 noise, v = eps - x"},
          {"sit_sha256", sit.weights_sha256()},
          {"sit_config", nlohmann::json::parse(sit.config().to_json_string())},
          {"vae_sha256", vae.weights_sha256()},
          {"vae_config", nlohmann::json::parse(vae.config().to_json_string())},
          {"latent_norm", norm.to_json()},
          {"quantization", "uint8(clamp(127.5 x + 128, 0, 255)), truncated"}};
}

void prepare_partial(const std::string& partial, const nlohmann::json& identity) {
  const std::string manifest = partial + "/run.json";
  if (fs::exists(manifest)) {
    const auto bytes = io::read_file(manifest);
    const auto found = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (found != identity) {
      std::string differs = "unreadable run.json";
      if (found.is_object())
        for (const auto& [key, value] : identity.items())
          if (!found.contains(key) || found[key] != value) {
            differs = key + " differs";
            break;
          }
      fail(partial, "holds an interrupted run with other settings ({}); remove it to start over", differs);
    }
    return;
  }
  fs::create_directories(partial);
  io::write_file_atomic(manifest, identity.dump(2) + "\n");
}

struct BatchFiles {
  std::string labels, images;
};
BatchFiles batch_files(const std::string& partial, int64_t first) {
  return {fmt::format("{}/batch-{:09d}.labels.npy", partial, first),
          fmt::format("{}/batch-{:09d}.images.npy", partial, first)};
}

// Samples, decodes and quantises indices [first, first + count).
std::pair<at::Tensor, at::Tensor> sample_batch(const models::SiT& sit, const models::AutoencoderKL& vae,
                                               const LatentNorm& norm, const SampleRunOptions& o, int64_t first,
                                               int64_t count) {
  const auto& c = sit.config();
  SampleDraws draws =
      draw_samples(first, count, {c.in_channels, c.input_size, c.input_size}, {o.label_mode, c.num_classes}, o.seed);
  const c10::Device device = sit.device();
  const at::Tensor labels = draws.labels.to(device);
  const at::Tensor latents = sample(sit_velocity(sit), draws.noise.to(device), labels, o.sampler, &draws.generators);
  if (!at::isfinite(latents).all().item<bool>())
    fail(sit.weights_path(), "sampling produced non-finite latents in samples {}..{}", first, first + count - 1);
  c10::NoGradGuard no_grad;
  const at::Tensor z = norm.denormalize(latents).to(vae.device(), at::kFloat);
  return {quantize_images(vae.decode(z)).cpu(), draws.labels};
}

void write_png(const std::string& path, const at::Tensor& hwc) {
#ifdef LATENTLAB_WITH_OPENCV
  const at::Tensor image = hwc.contiguous();
  cv::Mat rgb(static_cast<int>(image.size(0)), static_cast<int>(image.size(1)), CV_8UC3, image.data_ptr<uint8_t>()),
      bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  // No temporary file per image: the whole folder is renamed into place at the end.
  if (!cv::imwrite(path, bgr)) fail(path, "cannot write PNG");
#else
  fail(path, "PNG output needs OpenCV");
#endif
}

void write_outputs(const std::string& out, const std::string& partial, const at::Tensor& images,
                   const at::Tensor& labels, int64_t first) {
  if (ends_with(out, ".npz")) {
#if LATENTLAB_WITH_ZIP
    io::write_npz(out, {{"arr_0", io::to_array(images, "arr_0")}, {"arr_1", io::to_array(labels, "arr_1")}}, false);
#endif
    return;
  }
  const std::string folder = partial + "/images";
  fs::remove_all(folder);
  fs::create_directories(folder);
  std::string csv = "file,label\n";
  for (int64_t i = 0; i < images.size(0); ++i) {
    const std::string name = fmt::format("{:06d}.png", first + i);
    write_png(folder + "/" + name, images[i]);
    csv += fmt::format("{},{}\n", name, labels[i].item<int64_t>());
  }
  io::write_file_atomic(folder + "/labels.csv", csv);
  fs::rename(folder, out);
}

}  // namespace

at::Tensor quantize_images(const at::Tensor& images) {
  return (images * 127.5 + 128.0).clamp(0.0, 255.0).to(at::kByte).permute({0, 2, 3, 1}).contiguous();
}

SampleRunReport run_sampling(const models::SiT& sit, const models::AutoencoderKL& vae, const LatentNorm& norm,
                             const SampleRunOptions& options) {
  SampleRunOptions o = options;
  while (o.out.size() > 1 && o.out.back() == '/') o.out.pop_back();  // "pngs/" names the folder "pngs"
  o.sampler.null_class = sit.null_class();
  check_options(sit, norm, o);
  const distributed::ShardRange range = distributed::shard_range(o.num, o.shard);
  if (range.size() < 1) fail_usage("--shard", "shard {} of --num {} holds no sample", o.shard.str(), o.num);

  SampleRunReport report;
  report.format = ends_with(o.out, ".npz") ? "npz" : "png";
  report.protocol = run_identity(sit, vae, norm, o, range);
  const std::string partial = o.out + ".partial";
  prepare_partial(partial, report.protocol);

  std::vector<at::Tensor> images, labels;
  ProgressBar bar("sample", range.size(), "img");
  for (int64_t first = range.begin; first < range.end; first += o.batch) {
    const int64_t count = std::min(o.batch, range.end - first);
    const BatchFiles files = batch_files(partial, first);
    if (fs::exists(files.images)) {
      images.push_back(io::to_tensor(io::read_npy(files.images)).clone());
      labels.push_back(io::to_tensor(io::read_npy(files.labels)).clone());
      if (images.back().size(0) != count || labels.back().size(0) != count)
        fail(files.images, "holds {} samples, expected {}; remove {} to start over", images.back().size(0), count,
             partial);
      ++report.batches_resumed;
    } else {
      auto [batch_images, batch_labels] = sample_batch(sit, vae, norm, o, first, count);
      io::write_npy(files.labels, io::to_array(batch_labels, "labels"));
      io::write_npy(files.images, io::to_array(batch_images, "images"));
      images.push_back(batch_images);
      labels.push_back(batch_labels);
      ++report.batches_sampled;
    }
    bar.advance(count);
  }
  bar.finish();
  const at::Tensor all_images = at::cat(images), all_labels = at::cat(labels);
  write_outputs(o.out, partial, all_images, all_labels, range.begin);
  fs::remove_all(partial);
  report.samples = all_images.size(0);
  return report;
}

}  // namespace latentlab::diffusion
