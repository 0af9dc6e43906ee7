#include "train/vae_trainer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "datasets/pipeline.h"
#include "datasets/preprocess.h"
#include "distributed/checkpoint_sync.h"
#include "io/weights.h"
#include "models/module_state.h"
#include "train/foreach_adamw.h"
#include "train/image_grid.h"
#include "train/jsonl_log.h"
#include "train/step_log.h"
#include "train/vae_trainer_state.h"

namespace fs = std::filesystem;

namespace latentlab::train {
namespace {

models::AutoencoderKL make_vae(const VaeTrainOptions& o) {
  if (o.init.empty()) return models::AutoencoderKL(models::AutoencoderKLConfig::preset_config(o.preset));
  models::AutoencoderKLLoadOptions lo;
  lo.prefix = o.init_prefix;
  if (o.resolution > 0) lo.resolution = o.resolution;
  models::AutoencoderKLLoadReport report;
  auto vae = models::AutoencoderKL::load(o.init, lo, &report);
  log::info("train-vae: VAE from {} ({}, {} tensors, config {})", o.init, report.format, report.loaded,
            report.config_source);
  return vae;
}

models::PatchGANDiscriminator make_disc(const VaeTrainOptions& o) {
  if (!o.disc_init.empty()) return models::PatchGANDiscriminator::load(o.disc_init);
  models::PatchGANConfig config;
  config.ndf = o.disc_channels;
  config.n_layers = o.disc_layers;
  config.validate("--disc-layers");
  return models::PatchGANDiscriminator(config);
}

// VA-VAE checkpoints keep the VF projection of their loss as "…linear_proj.weight".
std::optional<io::Array> find_linear_proj(const std::string& path) {
  const auto file = io::load_weights(path);
  for (const auto& [name, array] : file.arrays) {
    const std::string suffix = "linear_proj.weight";
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return array;
  }
  return std::nullopt;
}

// The first `count` dataset items as uint8 (count, 3, H, W), preprocessed as training batches are.
at::Tensor first_images(const datasets::ImageSource& source, const datasets::Pipeline::Transform& transform,
                        int64_t count) {
  std::vector<at::Tensor> images;
  for (int64_t i = 0; i < std::min(count, source.size()); ++i) {
    datasets::Image image = source.get(i).image;
    if (transform) image = transform(image);
    images.push_back(
        at::from_blob(image.pixels.data(), {image.height, image.width, 3}, at::kByte).permute({2, 0, 1}).clone());
  }
  return at::stack(images);
}

}  // namespace

at::Tensor to_float_images(const at::Tensor& images_uint8, const at::Device& device) {
  return images_uint8.to(device).to(at::kFloat) / 127.5 - 1.0;
}

VaeTrainer::State::State(VaeTrainOptions options, const datasets::ImageSource& src, std::shared_ptr<models::Teacher> t,
                         std::shared_ptr<distributed::Communicator> c)
    : o(std::move(options)),
      source(src),
      teacher(std::move(t)),
      device(o.device),
      precision(parse_precision(o.precision, "--precision")),
      reduction(o.reduction == "sum" ? Reduction::Sum : Reduction::Mean),
      vae((at::manual_seed(o.seed), make_vae(o))),
      disc(make_disc(o)),
      comm(c ? std::move(c) : std::make_shared<distributed::Communicator>()),
      gen(at::detail::createCPUGenerator(static_cast<uint64_t>(o.seed))) {}

int64_t VaeTrainer::State::mapper_patch() const {
  if (o.mapper_patch > 0) return o.mapper_patch;
  return vae.config().downsampling_factor() >= 16 ? 1 : 2;
}

std::vector<at::Tensor> VaeTrainer::State::vae_parameters() const {
  auto params = vae.module().parameters();
  if (mapper)
    for (const auto& p : mapper->parameters()) params.push_back(p);
  if (proj)
    for (const auto& p : proj->parameters()) params.push_back(p);
  return params;
}

std::vector<at::Tensor> VaeTrainer::State::trained_parameters() const {
  auto params = vae_parameters();
  for (const auto& p : disc.module().parameters()) params.push_back(p);
  return params;
}

VaeTrainer::VaeTrainer(VaeTrainOptions options, const datasets::ImageSource& source,
                       std::shared_ptr<models::Teacher> teacher,
                       std::shared_ptr<distributed::Communicator> communicator)
    : s_(std::make_unique<State>(std::move(options), source, std::move(teacher), std::move(communicator))) {
  State& s = *s_;
  const auto& o = s.o;
  if (o.uses_teacher() && !s.teacher) fail_usage("--teacher", "is required with --mode {}", o.mode);
  if (o.mode == "sendvae") {
    auto config = models::SendVAEMapperConfig::for_teacher(s.latent_channels(), s.mapper_patch(), s.teacher->width(),
                                                           o.mapper_depth);
    if (o.mapper_width > 0) config.width = o.mapper_width;
    if (o.mapper_heads > 0)
      config.heads = o.mapper_heads;
    else if (o.mapper_width > 0 || config.heads < 1)
      config.heads = std::max<int64_t>(1, config.width / 64);
    config.projector_hidden = o.mapper_projector;
    config.validate("--mapper-width");
    s.mapper = models::SendVAEMapper(config);
  } else if (o.mode == "vavae") {
    s.proj = models::VFProjection(s.latent_channels(), s.teacher->width());
    if (!o.init.empty())
      if (const auto w = find_linear_proj(o.init)) {
        models::load_module_state(*s.proj, {{"linear_proj.weight", *w}}, o.init, "VA-VAE linear_proj");
        log::info("train-vae: VF projection linear_proj from {}", o.init);
      }
  }
  if (o.lpips_weight > 0) s.lpips = models::LpipsVGG::load(o.lpips_weights);

  s.vae.to(s.device);
  s.disc.to(s.device);
  if (s.mapper) s.mapper->to(s.device);
  if (s.proj) s.proj->to(s.device);
  if (s.lpips) s.lpips->to(s.device, at::kFloat);
  if (s.teacher) s.teacher->to(s.device);
  s.vae.module().train(true);
  s.disc.train(true);
  if (s.mapper) s.mapper->train(true);

  const auto adamw = [&](double lr) {
    return torch::optim::AdamWOptions(lr).betas({o.beta1, o.beta2}).eps(o.adam_eps).weight_decay(o.weight_decay);
  };
  s.vae_opt = std::make_unique<ForeachAdamW>(s.vae_parameters(), adamw(o.lr));
  s.disc_opt = std::make_unique<ForeachAdamW>(s.disc.module().parameters(), adamw(o.disc_lr > 0 ? o.disc_lr : o.lr));
  s.join_data_parallel();
  if (o.ema > 0) s.ema = std::make_unique<Ema>(s.vae.module(), o.ema);
}

VaeTrainer::~VaeTrainer() = default;

int64_t VaeTrainer::step() const {
  return s_->step;
}
models::AutoencoderKL& VaeTrainer::vae() {
  return s_->vae;
}
const std::string& VaeTrainer::last_checkpoint() const {
  return s_->last_checkpoint;
}

// Top row the first grid-images dataset items, bottom row their reconstructions from the posterior mean.
static void write_grid(VaeTrainer::State& s, const datasets::Pipeline::Transform& transform) {
  if (s.o.grid_images == 0) return;
  at::NoGradGuard no_grad;
  const at::Tensor x = to_float_images(first_images(s.source, transform, s.o.grid_images), s.device);
  const at::Tensor reconstruction = s.vae.decode(s.vae.encode(x).mean);
  fs::create_directories(s.o.out + "/grids");
  const auto path =
      write_grid_image(fmt::format("{}/grids/step-{:07d}", s.o.out, s.step), tile_grid({x, reconstruction}));
  log::info("train-vae: reconstruction grid {}", path);
}

// A function-try-block: a rank lost anywhere in the run stops it naming the checkpoint to resume from.
VaeTrainSummary VaeTrainer::run(int64_t stop_at) try {
  State& s = *s_;
  const auto& o = s.o;
  fs::create_directories(o.out);
  const int64_t end = stop_at > 0 && stop_at < o.steps ? stop_at : o.steps;
  const auto prep = datasets::make_preprocess(o.preprocess, o.resolution);
  const bool main_rank = s.comm->is_main();  // rank 0 logs and writes; every rank trains
  std::optional<JsonlLog> log;
  std::optional<StepLogWriter> records;
  if (main_rank) records.emplace(log.emplace(o.out + "/log.jsonl", s.step));
  const int world = s.comm->world_size();
  // Global examples per epoch: whole global batches (the last partial batch is dropped). A rank's shard can
  // hold one batch more than that; it must stop with the others.
  const int64_t epoch_examples = s.source.size() / o.batch_size * o.batch_size;
  if (epoch_examples == 0)
    fail(s.source.info().spec, "has {} images, fewer than --batch-size {}", s.source.size(), o.batch_size);
  VaeTrainSummary summary;
  summary.start_step = s.step;
  const auto start = std::chrono::steady_clock::now();
  {
    ProgressBar bar("train-vae", end - s.step, "step");
    while (s.step < end) {
      datasets::PipelineOptions po;
      po.batch_size = o.batch_size / world;  // this rank's rows: positions rank, rank + n, ... of the order
      po.shard_index = s.comm->rank();
      po.shard_count = world;
      po.threads = o.data_threads;
      po.prefetch = 2;
      po.shuffle = true;
      po.seed = static_cast<uint64_t>(o.seed + s.epoch);
      po.drop_last = true;
      po.start = s.position / world;
      datasets::Pipeline pipeline(s.source, po, prep.transform);
      while (s.step < end && s.position < epoch_examples) {
        auto batch = pipeline.next();
        if (!batch) break;
        const LossTerms terms = train_step(batch->images);
        s.position += batch->images.size(0) * world;
        bar.advance();
        if (records) records->count_step();
        if (records && (s.step % o.log_every == 0 || s.step == end)) records->write(s.step, s.epoch, terms);
        if (s.step % o.checkpoint_every == 0 || s.step == end) save_checkpoint();
        if (main_rank && o.grid_every > 0 && s.step % o.grid_every == 0) write_grid(s, prep.transform);
      }
      if (s.step < end) ++s.epoch, s.position = 0;  // the epoch ran out
    }
  }
  summary.finish(s.step, seconds_since(start), s.last_terms, s.last_checkpoint);
  if (s.step >= o.steps) {
    distributed::write_on_rank0(*s.comm, o.out + "/vae.safetensors", [&] {
      save_final();
      write_grid(s, prep.transform);
    });
  }
  return summary;
} catch (const distributed::RankLost& lost) {
  State& s = *s_;
  stop_after_lost_rank(lost, *s.comm, &s.recovery, s.step, s.checkpoint_dir(), s.last_checkpoint, [&] {
    save_checkpoint();
    return s.last_checkpoint;
  });
}

}  // namespace latentlab::train
