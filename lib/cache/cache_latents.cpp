#include "cache/cache_latents.h"

#include <chrono>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "datasets/pipeline.h"
#include "io/sha256.h"
#include "store/writer.h"

namespace latentlab::cache {

nlohmann::json CacheReport::to_json() const {
  return {{"status", status},
          {"rows", rows},
          {"resumed_from", resumed_from},
          {"seconds", seconds},
          {"identity", store::to_json(identity)}};
}

std::string dataset_fingerprint(const datasets::DatasetInfo& info) {
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& factor : info.attributes) attributes.push_back({factor.name, factor.values});
  const nlohmann::json canonical = {
      {"spec", info.spec}, {"size", info.size}, {"classes", info.class_names}, {"attributes", attributes}};
  return io::sha256_hex(canonical.dump());
}

namespace {

// uint8 N×3×H×W -> float32 in [-1, 1] on `device` (x / 127.5 − 1, the LDM convention).
at::Tensor to_model_input(const at::Tensor& images, const c10::Device& device) {
  return images.to(device).to(at::kFloat).div_(127.5).sub_(1.0);
}

}  // namespace

store::StoreIdentity cache_identity(const models::AutoencoderKL& vae, const datasets::ImageSource& source,
                                    const datasets::Preprocess& preprocess, const CacheOptions& options) {
  if (vae.weights_sha256().empty())
    fail("--vae", "the VAE must be loaded from a weights file: its SHA-256 identifies the store");
  if (source.size() == 0) fail(source.info().spec, "the dataset is empty");
  datasets::Image first = source.get(0).image;
  if (preprocess.transform) first = preprocess.transform(first);
  const int64_t f = vae.config().downsampling_factor();
  if (first.height % f != 0 || first.width % f != 0)
    fail_usage("--res", "images of {}x{} after '{}' are not multiples of the VAE's downsampling factor {}",
               first.height, first.width, preprocess.protocol, f);

  store::StoreIdentity identity;
  identity.vae_sha256 = vae.weights_sha256();
  identity.vae_config = vae.config().to_json_string();
  identity.dataset_fingerprint = dataset_fingerprint(source.info());
  identity.preprocessing = preprocess.protocol;
  identity.shard_index = options.shard_index;
  identity.shard_count = options.shard_count;
  identity.dtype = options.dtype;
  identity.flip = options.flip;
  identity.latent_shape = {vae.config().embed_dim, first.height / f, first.width / f};
  for (const auto& factor : source.info().attributes) identity.attribute_names.push_back(factor.name);
  identity.key_width = 0;  // keys are dataset indices: the dataset spec + index names the source image
  if (options.teacher) {
    const int64_t p = options.teacher_patch, h = identity.latent_shape[1], w = identity.latent_shape[2];
    if (p < 1 || h % p != 0 || w % p != 0)
      fail_usage("--teacher-patch", "{} does not divide the {}x{} latents into a token grid", p, h, w);
    identity.teacher = options.teacher->identity();
    identity.teacher_grid = {h / p, w / p};
    identity.teacher_width = options.teacher->width();
    identity.teacher_dtype = options.teacher_dtype;
  }
  return identity;
}

CacheReport cache_latents(models::AutoencoderKL& vae, const datasets::ImageSource& source,
                          const datasets::Preprocess& preprocess, const CacheOptions& options) {
  CacheReport report;
  report.identity = cache_identity(vae, source, preprocess, options);

  datasets::PipelineOptions po;
  po.batch_size = options.batch_size, po.threads = options.threads;
  po.shard_index = options.shard_index, po.shard_count = options.shard_count;
  // The shard's size, before any rows are skipped: the store holds all of them.
  report.rows = datasets::Pipeline(source, po, {}).examples();

  store::WriterOptions wo;
  wo.force = options.force;
  auto writer = store::StoreWriter::open_or_resume(options.out, report.identity, report.rows, wo);
  report.resumed_from = writer.next_row();
  if (writer.complete()) {
    report.status = "complete";
    return report;
  }
  report.status = writer.status() == store::StoreWriter::Status::Resumed ? "resumed" : "created";
  if (report.resumed_from > 0) log::info("{}: resuming at row {} of {}", options.out, report.resumed_from, report.rows);
  // Batch boundaries must not move on resume (encoder kernels may depend on the batch size), so a resume
  // starts at a committed row, which is always a multiple of the batch size of the run that wrote it.
  if (report.resumed_from % options.batch_size != 0)
    fail_usage("--batch-size", "{} rows are committed in {}: resume with the batch size that wrote them",
               report.resumed_from, options.out);

  po.start = report.resumed_from;
  datasets::Pipeline pipeline(source, po, preprocess.transform);
  const c10::Device device(options.device);
  vae.to(device);
  if (options.teacher) options.teacher->to(device);
  const auto& grid = report.identity.teacher_grid;
  c10::NoGradGuard no_grad;
  ProgressBar bar("cache", report.rows, "img");
  bar.advance(report.resumed_from);
  const auto start = std::chrono::steady_clock::now();
  while (auto batch = pipeline.next()) {
    const at::Tensor images = to_model_input(batch->images, device);
    const auto posterior = vae.encode(images);
    store::StoreBatch out;
    out.mean = posterior.mean, out.std = posterior.std;
    if (options.flip) {
      const auto flipped = vae.encode(images.flip({3}));
      out.mean_flip = flipped.mean, out.std_flip = flipped.std;
    }
    if (options.teacher) {  // train-ldm's online REPA targets: the same call on the same images
      out.teacher_tokens = options.teacher->patch_tokens(images, grid[0], grid[1]);
      if (options.flip) out.teacher_tokens_flip = options.teacher->patch_tokens(images.flip({3}), grid[0], grid[1]);
    }
    out.labels = batch->labels;
    if (!report.identity.attribute_names.empty()) out.attributes = batch->attributes;
    out.indices = batch->indices;
    writer.append(out);
    bar.advance(images.size(0));
  }
  writer.finish();
  bar.finish();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace latentlab::cache
