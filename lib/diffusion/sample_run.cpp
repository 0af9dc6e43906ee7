#include "diffusion/sample_run.h"

#include <algorithm>
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
#include "core/strings.h"
#include "diffusion/sit_velocity.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/npy.h"
#include "io/npz.h"
#include "io/npz_stream_writer.h"
#include "io/results_json.h"
#include "io/tensor_convert.h"
#include "models/autoencoder_kl.h"
#include "models/sit.h"

namespace latentlab::diffusion {
namespace fs = std::filesystem;
namespace {

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

// The output, batch by batch in index order, so that memory holds one batch: an .npz streamed member by
// member (arr_0 rows appended as they come, arr_1 labels at the end) into <partial>/output.npz, or PNGs
// written into <partial>/images; either is renamed to `out` when complete. Inside the partial folder, the
// temporary file of a killed run is removed with the folder when a rerun completes.
class OutputWriter {
 public:
  OutputWriter(const std::string& out, const std::string& partial, int64_t count)
      : out_(out), folder_(partial + "/images"), npz_path_(partial + "/output.npz"), count_(count) {
    if (ends_with(out, ".npz")) {
      npz_ = std::make_unique<io::NpzStreamWriter>(npz_path_);
    } else {
      fs::remove_all(folder_);
      fs::create_directories(folder_);
    }
  }

  // uint8 N×H×W×3 images and int64 labels of global indices first, first + 1, ...
  void add(const at::Tensor& images, const at::Tensor& labels, int64_t first) {
    if (npz_) {
      if (labels_.empty())
        npz_->begin("arr_0", io::DType::U8, {count_, images.size(1), images.size(2), images.size(3)});
      npz_->append(io::to_array(images.contiguous(), "arr_0"));
    } else {
      for (int64_t i = 0; i < images.size(0); ++i) {
        const std::string name = fmt::format("{:06d}.png", first + i);
        write_png(folder_ + "/" + name, images[i]);
        csv_ += fmt::format("{},{}\n", name, labels[i].item<int64_t>());
      }
    }
    labels_.push_back(labels);
  }

  void finish() {
    if (npz_) {
      npz_->add("arr_1", io::to_array(at::cat(labels_).contiguous(), "arr_1"));
      npz_->commit();
      fs::rename(npz_path_, out_);
      return;
    }
    io::write_file_atomic(folder_ + "/labels.csv", "file,label\n" + csv_);
    fs::rename(folder_, out_);
  }

 private:
  std::string out_, folder_, npz_path_, csv_;
  int64_t count_;
  std::unique_ptr<io::NpzStreamWriter> npz_;
  std::vector<at::Tensor> labels_;
};

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

  OutputWriter writer(o.out, partial, range.size());
  ProgressBar bar("sample", range.size(), "img");
  for (int64_t first = range.begin; first < range.end; first += o.batch) {
    const int64_t count = std::min(o.batch, range.end - first);
    const BatchFiles files = batch_files(partial, first);
    at::Tensor images, labels;
    if (fs::exists(files.images)) {
      images = io::to_tensor(io::read_npy(files.images)).clone();
      labels = io::to_tensor(io::read_npy(files.labels)).clone();
      if (images.size(0) != count || labels.size(0) != count)
        fail(files.images, "holds {} samples, expected {}; remove {} to start over", images.size(0), count, partial);
      ++report.batches_resumed;
    } else {
      std::tie(images, labels) = sample_batch(sit, vae, norm, o, first, count);
      io::write_npy(files.labels, io::to_array(labels, "labels"));
      io::write_npy(files.images, io::to_array(images, "images"));
      ++report.batches_sampled;
    }
    writer.add(images, labels, first);
    report.samples += count;
    bar.advance(count);
  }
  bar.finish();
  writer.finish();
  fs::remove_all(partial);
  return report;
}

namespace {

// The keys of a shard's protocol that differ between the shards of one run (and the build's identity).
bool shard_specific(const std::string& key) {
  return key == "shard" || key == "first_index" || key == "count" || key == "tool_version" || key == "git_commit";
}

struct ShardFile {
  std::string path;
  nlohmann::json protocol;
  int64_t first = 0, count = 0;
};

ShardFile read_shard(const std::string& path) {
  if (!ends_with(path, ".npz")) fail(path, "sample merge joins .npz shards (PNG shards are already numbered by index)");
  ShardFile shard{path, io::read_results(path + ".json").at("protocol")};
  const auto& p = shard.protocol;
  if (!p.contains("first_index") || !p.contains("count") || !p.contains("num"))
    fail(path + ".json", "is not the results file of a `latentlab sample` run (no first_index/count/num)");
  shard.first = p["first_index"].get<int64_t>();
  shard.count = p["count"].get<int64_t>();
  return shard;
}

}  // namespace

// Without libzip the first io::NpzReader refuses its shard with one line (io/zip_archive_unavailable.cpp), and the
// unfinished output is removed (io::NpzStreamWriter writes through io::AtomicFile).
SampleMergeReport merge_sample_shards(const std::vector<std::string>& paths, const std::string& out) {
  if (paths.empty()) fail_usage("SHARDS", "needs at least one shard");
  if (!ends_with(out, ".npz")) fail_usage("--out", "must be an .npz file, got '{}'", out);
  if (fs::exists(out)) fail_usage("--out", "'{}' exists; remove it or choose another path", out);
  std::vector<ShardFile> shards;
  for (const auto& path : paths) shards.push_back(read_shard(path));
  std::sort(shards.begin(), shards.end(), [](const ShardFile& a, const ShardFile& b) { return a.first < b.first; });
  const auto common = [](nlohmann::json p) {
    for (auto it = p.begin(); it != p.end();) it = shard_specific(it.key()) ? p.erase(it) : std::next(it);
    return p;
  };
  const nlohmann::json run = common(shards[0].protocol);
  const int64_t num = run.at("num").get<int64_t>();
  int64_t next = 0;
  for (const ShardFile& shard : shards) {
    if (common(shard.protocol) != run)
      fail(shard.path, "comes from another sampling run than {} (its protocol differs beyond the shard)",
           shards[0].path);
    if (shard.first != next)
      fail(shard.path, "starts at sample {} but {}", shard.first,
           next == 0 ? "the run starts at 0" : fmt::format("the shards before it end at {}", next));
    next += shard.count;
  }
  if (next != num) fail(shards.back().path, "ends at sample {}; the run has {} (a shard is missing)", next, num);

  // Rows are copied in chunks of about 64 MiB; labels are small and copied whole.
  io::NpzStreamWriter writer(out);
  std::vector<at::Tensor> labels;
  for (size_t i = 0; i < shards.size(); ++i) {
    const io::NpzReader npz(shards[i].path);
    const io::NpyHeader& h = npz.info("arr_0");
    if (h.dtype != io::DType::U8 || h.shape.size() != 4 || h.shape[0] != shards[i].count)
      fail(shards[i].path, "arr_0 must be uint8 {}×H×W×3 (its results JSON says {} samples), got {}", shards[i].count,
           shards[i].count, io::shape_string(h.shape));
    if (i == 0) writer.begin("arr_0", io::DType::U8, {num, h.shape[1], h.shape[2], h.shape[3]});
    const int64_t row_bytes = h.shape[1] * h.shape[2] * h.shape[3];
    const int64_t chunk = std::max<int64_t>(1, (64 << 20) / std::max<int64_t>(row_bytes, 1));
    for (int64_t row = 0; row < shards[i].count; row += chunk)
      writer.append(npz.read_rows("arr_0", row, std::min(chunk, shards[i].count - row)));
    labels.push_back(io::to_tensor(npz.read("arr_1")).clone());
  }
  writer.add("arr_1", io::to_array(at::cat(labels).contiguous(), "arr_1"));
  writer.commit();

  SampleMergeReport report;
  report.samples = num;
  report.shards = static_cast<int64_t>(shards.size());
  report.protocol = shards[0].protocol;
  report.protocol["shard"] = distributed::Shard{}.str();
  report.protocol["first_index"] = 0;
  report.protocol["count"] = num;
  return report;
}

}  // namespace latentlab::diffusion
