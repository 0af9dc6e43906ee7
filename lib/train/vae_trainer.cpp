#include "train/vae_trainer.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <torch/nn/module.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <nlohmann/json.hpp>

#include "core/compat.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "datasets/pipeline.h"
#include "datasets/preprocess.h"
#include "distributed/batch_split.h"
#include "distributed/checkpoint_sync.h"
#include "distributed/communicator.h"
#include "distributed/gradient_sync.h"
#include "distributed/module_sync.h"
#include "distributed/rank_share.h"
#include "io/weights.h"
#include "models/gan_losses.h"
#include "models/lpips_vgg.h"
#include "models/module_state.h"
#include "models/patchgan.h"
#include "models/sendvae_mapper.h"
#include "models/sendvae_mapper_alignment.h"
#include "models/vf_loss.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/image_grid.h"
#include "train/jsonl_log.h"
#include "train/optimizer_state.h"
#include "train/precision.h"
#include "train/rng_state.h"
#include "train/vae_losses.h"

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

// By value: named_parameters() returns a temporary dictionary.
at::Tensor parameter(torch::nn::Module& module, const std::string& name) {
  const auto params = module.named_parameters();
  const at::Tensor* p = params.find(name);
  LATENTLAB_ASSERT(p != nullptr, "no parameter {}", name);
  return *p;
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

at::Tensor to_float_images(const at::Tensor& images_uint8, const at::Device& device) {
  return images_uint8.to(device).to(at::kFloat) / 127.5 - 1.0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct VaeTrainer::State {
  VaeTrainOptions o;
  const datasets::ImageSource& source;
  std::shared_ptr<models::Teacher> teacher;
  at::Device device;
  Precision precision;
  Reduction reduction;
  models::AutoencoderKL vae;
  models::PatchGANDiscriminator disc;
  models::SendVAEMapper mapper{nullptr};
  models::VFProjection proj{nullptr};
  std::optional<models::LpipsVGG> lpips;
  std::unique_ptr<torch::optim::AdamW> vae_opt, disc_opt;
  std::unique_ptr<Ema> ema;
  std::shared_ptr<distributed::Communicator> comm;                 // a single-process one without a job
  std::unique_ptr<distributed::GradientSync> vae_sync, disc_sync;  // only with several ranks
  at::Generator gen;
  int64_t step = 0, epoch = 0, position = 0;  // position: examples of this epoch already consumed
  std::string last_checkpoint;
  LossTerms last_terms;

  State(VaeTrainOptions options, const datasets::ImageSource& src, std::shared_ptr<models::Teacher> t,
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

  bool data_parallel() const { return comm->distributed(); }

  std::string checkpoint_dir() const { return o.out + "/checkpoints"; }
  int64_t latent_channels() const { return vae.config().embed_dim; }
  int64_t mapper_patch() const {
    if (o.mapper_patch > 0) return o.mapper_patch;
    return vae.config().downsampling_factor() >= 16 ? 1 : 2;
  }
  std::vector<at::Tensor> vae_parameters() const {
    auto params = vae.module().parameters();
    if (mapper)
      for (const auto& p : mapper->parameters()) params.push_back(p);
    if (proj)
      for (const auto& p : proj->parameters()) params.push_back(p);
    return params;
  }
  // Everything the optimisers train (all ranks must hold the same).
  std::vector<at::Tensor> trained_parameters() const {
    auto params = vae_parameters();
    for (const auto& p : disc.module().parameters()) params.push_back(p);
    return params;
  }
  // The posterior sample of this rank's rows with the noise one process draws for the whole global batch
  // (models::DiagonalGaussian::sample's draw, at the global batch size): s.gen stays equal on all ranks.
  at::Tensor sample_rank_rows(const models::Posterior& posterior) {
    std::vector<int64_t> sizes = posterior.mean.sizes().vec();
    sizes[0] = o.batch_size;
    const at::Tensor noise =
        at::randn(sizes, gen, posterior.mean.options().device(gen.device())).to(posterior.mean.device());
    return posterior.mean + posterior.std * distributed::rank_rows(noise, comm->rank(), comm->world_size());
  }
  // BatchNorm running statistics differ per rank (each normalises its own rows): averaged every step.
  void average_batchnorm_buffers() {
    if (!data_parallel()) return;
    distributed::average_buffers(*comm, disc.module());
    if (mapper) distributed::average_buffers(*comm, *mapper);
  }
};

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
  s.vae_opt = std::make_unique<torch::optim::AdamW>(s.vae_parameters(), adamw(o.lr));
  s.disc_opt =
      std::make_unique<torch::optim::AdamW>(s.disc.module().parameters(), adamw(o.disc_lr > 0 ? o.disc_lr : o.lr));
  if (s.data_parallel()) {
    distributed::validate({s.source.size(), o.batch_size, static_cast<uint64_t>(o.seed)}, s.comm->world_size());
    distributed::broadcast_state(*s.comm, s.vae.module());  // before the EMA copies the weights
    distributed::broadcast_state(*s.comm, s.disc.module());
    if (s.mapper) distributed::broadcast_state(*s.comm, *s.mapper);
    if (s.proj) distributed::broadcast_state(*s.comm, *s.proj);
    s.vae_sync = std::make_unique<distributed::GradientSync>(*s.comm, s.vae_parameters());
    s.disc_sync = std::make_unique<distributed::GradientSync>(*s.comm, s.disc.module().parameters());
    if (s.comm->is_main())
      log::info("train-vae: data parallel over {} ranks ({}), {} images per rank and step", s.comm->world_size(),
                s.comm->backend(), o.batch_size / s.comm->world_size());
  }
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

LossTerms VaeTrainer::train_step(const at::Tensor& images_uint8) {
  State& s = *s_;
  const auto& o = s.o;
  const double lr = o.schedule.learning_rate(o.lr, s.step);
  const double disc_lr = o.schedule.learning_rate(o.disc_lr > 0 ? o.disc_lr : o.lr, s.step);
  compat::set_learning_rate(*s.vae_opt, lr);
  compat::set_learning_rate(*s.disc_opt, disc_lr);
  const bool gan_on = o.gan_weight > 0 && s.step >= o.gan_start;
  const at::Tensor x = to_float_images(images_uint8, s.device);

  models::Posterior posterior;
  at::Tensor z, reconstruction, logits_fake;
  {
    const auto autocast = autocast_scope(s.precision, s.device.type());
    const auto raw = s.vae.encode(x);
    posterior = {raw.mean.to(at::kFloat), raw.logvar.to(at::kFloat), raw.std.to(at::kFloat)};
    z = !o.sample_posterior ? posterior.mean
        : s.data_parallel() ? s.sample_rank_rows(posterior)
                            : posterior.sample(s.gen);
    reconstruction = s.vae.decode(z).to(at::kFloat);
    if (gan_on) logits_fake = s.disc.forward(reconstruction).to(at::kFloat);
  }
  LossTerms terms;
  const at::Tensor pixel = pixel_loss(x, reconstruction, o.reconstruction, s.reduction);
  at::Tensor nll = o.reconstruction_weight * pixel;
  terms.emplace_back("pixel", pixel.item<double>());
  if (s.lpips) {
    const at::Tensor lp = lpips_loss(s.lpips->distance(x, reconstruction), x[0].numel(), s.reduction);
    nll = nll + o.lpips_weight * lp;
    terms.emplace_back("lpips", lp.item<double>());
  }
  const at::Tensor kl = kl_loss(posterior);
  at::Tensor total = nll + o.kl_weight * kl;
  terms.emplace_back("kl", kl.item<double>());
  if (gan_on) {
    const at::Tensor g = models::generator_loss(logits_fake, models::parse_generator_loss(o.gen_loss, "--gen-loss"));
    const at::Tensor weight =
        o.gan_adaptive
            ? models::adaptive_gan_weight(nll, g, parameter(s.vae.module(), "decoder.conv_out.weight"), o.gan_weight)
            : at::full({}, o.gan_weight, g.options());
    total = total + weight * g;
    terms.emplace_back("gan_g", g.item<double>());
    terms.emplace_back("gan_weight", weight.item<double>());
  }
  if (s.mapper) {
    const int64_t p = s.mapper_patch(), rows = z.size(2) / p, cols = z.size(3) / p;
    at::Tensor teacher_tokens;
    {
      at::NoGradGuard no_grad;
      teacher_tokens = s.teacher->patch_tokens(x, rows, cols).to(at::kFloat);
    }
    at::Tensor tokens;
    {
      const auto autocast = autocast_scope(s.precision, s.device.type());
      // With several ranks the noise injection draws from a generator of its own per (step, rank): the
      // ranks' draws differ (as the rows do) and repeat on a rerun; one process keeps drawing from s.gen.
      at::Generator noise_gen = s.gen;
      if (s.data_parallel())
        noise_gen = at::detail::createCPUGenerator(
            distributed::rank_step_seed(static_cast<uint64_t>(o.seed), s.step, s.comm->rank()));
      tokens = s.mapper->forward(z, noise_gen, o.noise_injection).tokens.to(at::kFloat);
    }
    const at::Tensor align = models::sendvae_alignment_loss(tokens, teacher_tokens, rows, cols);
    total = total + o.align_weight * align;
    terms.emplace_back("align", align.item<double>());
  }
  if (s.proj) {
    models::VFLossOptions vf;
    vf.cos_margin = o.vf_cos_margin;
    vf.distmat_margin = o.vf_distmat_margin;
    vf.cos_weight = o.vf_cos_weight;
    vf.distmat_weight = o.vf_distmat_weight;
    vf.vf_weight = o.vf_weight;
    at::Tensor teacher_tokens;
    {
      at::NoGradGuard no_grad;
      teacher_tokens = s.teacher->patch_tokens(x, z.size(2), z.size(3)).to(at::kFloat);
    }
    const auto terms_vf = models::vf_loss(s.proj->forward(z), teacher_tokens, vf);
    const at::Tensor weight =
        o.vf_adaptive
            ? models::vf_adaptive_weight(nll, terms_vf.total, parameter(s.vae.module(), "encoder.conv_out.weight"), vf)
            : at::full({}, o.vf_weight, terms_vf.total.options());
    total = total + weight * terms_vf.total;
    terms.emplace_back("vf", terms_vf.total.item<double>());
    terms.emplace_back("vf_cos", terms_vf.cosine.item<double>());
    terms.emplace_back("vf_distmat", terms_vf.distmat.item<double>());
    terms.emplace_back("vf_weight", weight.item<double>());
  }
  terms.emplace_back("total", total.item<double>());
  check_finite(terms, s.step + 1, s.last_checkpoint);  // 1-based, as in the log

  s.vae_opt->zero_grad();
  if (s.vae_sync) s.vae_sync->prepare();
  total.backward();
  if (s.vae_sync) s.vae_sync->finish();  // .grad = the mean over ranks = the global batch's gradient
  if (o.grad_clip > 0)
    terms.emplace_back("grad_norm", torch::nn::utils::clip_grad_norm_(s.vae_parameters(), o.grad_clip));
  s.vae_opt->step();

  if (gan_on) {
    at::Tensor d_loss;
    {
      const auto autocast = autocast_scope(s.precision, s.device.type());
      const at::Tensor real = s.disc.forward(x).to(at::kFloat);
      const at::Tensor fake = s.disc.forward(reconstruction.detach()).to(at::kFloat);
      d_loss = models::discriminator_loss(models::parse_discriminator_loss(o.disc_loss, "--disc-loss"), real, fake);
    }
    terms.emplace_back("disc", d_loss.item<double>());
    check_finite({terms.back()}, s.step + 1, s.last_checkpoint);
    s.disc_opt->zero_grad();
    if (s.disc_sync) s.disc_sync->prepare();
    d_loss.backward();
    if (s.disc_sync) s.disc_sync->finish();
    if (o.grad_clip > 0) torch::nn::utils::clip_grad_norm_(s.disc.module().parameters(), o.grad_clip);
    s.disc_opt->step();
  }
  s.average_batchnorm_buffers();  // before the EMA averages the buffers too
  if (s.ema) s.ema->update(s.vae.module());
  if (s.data_parallel()) {  // the global batch's terms, for the log
    std::vector<double> values;
    for (const auto& term : terms) values.push_back(term.second);
    distributed::average_values(*s.comm, values);
    for (size_t i = 0; i < terms.size(); ++i) terms[i].second = values[i];
  }
  terms.emplace_back("lr", lr);
  ++s.step;
  s.last_terms = terms;
  return terms;
}

void VaeTrainer::save_checkpoint() {
  State& s = *s_;
  Checkpoint c;
  c.step = s.step;
  c.state = {{"epoch", s.epoch},
             {"position", s.position},
             {"mode", s.o.mode},
             {"dataset", s.source.info().spec},
             {"batch_size", s.o.batch_size},
             {"world_size", s.comm->world_size()},
             {"vae_config", s.vae.config().to_json()},
             {"teacher", s.teacher ? s.teacher->description() : ""}};
  append_prefixed(c.tensors, "vae.", s.vae.state_arrays());
  append_prefixed(c.tensors, "disc.", s.disc.state_arrays());
  if (s.mapper) append_prefixed(c.tensors, "mapper.", models::module_state_arrays(*s.mapper));
  if (s.proj) append_prefixed(c.tensors, "proj.", models::module_state_arrays(*s.proj));
  if (s.ema) append_prefixed(c.tensors, "ema.", s.ema->state_arrays());
  c.tensors.emplace_back("optim.vae", optimizer_state_array(*s.vae_opt));
  c.tensors.emplace_back("optim.disc", optimizer_state_array(*s.disc_opt));
  append_prefixed(c.tensors, "", capture_rng_states({{"train", s.gen}}));
  const std::string path = checkpoint_path(s.checkpoint_dir(), s.step);
  distributed::write_on_rank0(*s.comm, path, [&] { write_checkpoint(s.checkpoint_dir(), c, s.o.keep_checkpoints); });
  s.last_checkpoint = path;
}

int64_t VaeTrainer::resume() {
  State& s = *s_;
  std::string path;
  // Every rank must take part in the identity check, fresh or resumed (a rank that found no checkpoint
  // where rank 0 found one stops the job instead of training from step 0).
  const auto checked = [&](int64_t step) {
    if (s.data_parallel())
      distributed::require_identical(*s.comm, step, s.trained_parameters(),
                                     path.empty() ? "the initial weights" : path);
    return step;
  };
  if (s.o.resume == "off") return checked(0);
  if (s.o.resume == "auto") {
    const auto latest = latest_checkpoint(s.checkpoint_dir());
    if (!latest) return checked(0);
    path = *latest;
  } else {
    path = s.o.resume;
    if (!fs::exists(path)) fail_usage("--resume", "checkpoint '{}' does not exist", path);
  }
  const Checkpoint c = read_checkpoint(path);
  const std::string mode = c.state.value("mode", "");
  if (mode != s.o.mode) fail(path, "was written with mode '{}', this run has mode '{}'", mode, s.o.mode);
  if (c.state.value("dataset", "") != s.source.info().spec || c.state.value("batch_size", 0) != s.o.batch_size)
    log::warn("train-vae: {} was written for dataset {} at batch size {}; the data order will differ", path,
              c.state.value("dataset", "?"), c.state.value("batch_size", 0));
  s.vae.load_state(select_prefixed(c.tensors, "vae."), path);
  s.disc.load_state(select_prefixed(c.tensors, "disc."), path);
  if (s.mapper) models::load_module_state(*s.mapper, select_prefixed(c.tensors, "mapper."), path, "Send-VAE mapper");
  if (s.proj) models::load_module_state(*s.proj, select_prefixed(c.tensors, "proj."), path, "VF projection");
  if (s.ema) {
    const auto shadow = select_prefixed(c.tensors, "ema.");
    if (shadow.empty()) fail(path, "holds no EMA weights but --ema is {}", s.o.ema);
    s.ema->load_state(shadow, path);
  }
  load_optimizer_state(*s.vae_opt, find_array(c.tensors, "optim.vae", path), path);
  load_optimizer_state(*s.disc_opt, find_array(c.tensors, "optim.disc", path), path);
  restore_rng_states(c.tensors, {{"train", s.gen}}, path);
  s.step = c.step;
  s.epoch = c.state.value("epoch", int64_t{0});
  s.position = c.state.value("position", int64_t{0});
  s.last_checkpoint = path;
  log::info("train-vae: resumed from {} (step {}, epoch {}, position {})", path, s.step, s.epoch, s.position);
  return checked(s.step);
}

namespace {

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

static void write_grid(VaeTrainer::State& s, const datasets::Pipeline::Transform& transform);

VaeTrainSummary VaeTrainer::run(int64_t stop_at) {
  State& s = *s_;
  const auto& o = s.o;
  fs::create_directories(o.out);
  const int64_t end = stop_at > 0 && stop_at < o.steps ? stop_at : o.steps;
  const auto prep = datasets::make_preprocess(o.preprocess, o.resolution);
  const bool main_rank = s.comm->is_main();  // rank 0 logs and writes; every rank trains
  std::optional<JsonlLog> log;
  if (main_rank) log.emplace(o.out + "/log.jsonl", s.step);
  const int world = s.comm->world_size();
  // Global examples per epoch: whole global batches (the last partial batch is dropped). A rank's shard can
  // hold one batch more than that; it must stop with the others.
  const int64_t epoch_examples = s.source.size() / o.batch_size * o.batch_size;
  if (epoch_examples == 0)
    fail(s.source.info().spec, "has {} images, fewer than --batch-size {}", s.source.size(), o.batch_size);
  VaeTrainSummary summary;
  summary.start_step = s.step;
  const auto start = std::chrono::steady_clock::now();
  auto window_start = start;
  int64_t window_steps = 0;
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
        ++window_steps;
        bar.advance();
        if (log && (s.step % o.log_every == 0 || s.step == end)) {
          nlohmann::json record = {{"step", s.step}, {"epoch", s.epoch}};
          for (const auto& [name, value] : terms) record[name] = value;
          record["steps_per_s"] = window_steps / std::max(1e-9, seconds_since(window_start));
          record["elapsed_s"] = seconds_since(start);
          log->write(record);
          window_start = std::chrono::steady_clock::now();
          window_steps = 0;
        }
        if (s.step % o.checkpoint_every == 0 || s.step == end) save_checkpoint();
        if (main_rank && o.grid_every > 0 && s.step % o.grid_every == 0) write_grid(s, prep.transform);
      }
      if (s.step < end) ++s.epoch, s.position = 0;  // the epoch ran out
    }
  }
  summary.end_step = s.step;
  summary.seconds = seconds_since(start);
  summary.steps_per_second = (summary.end_step - summary.start_step) / std::max(1e-9, summary.seconds);
  summary.last_terms = s.last_terms;
  summary.last_checkpoint = s.last_checkpoint;
  if (s.step >= o.steps) {
    distributed::write_on_rank0(*s.comm, o.out + "/vae.safetensors", [&] {
      save_final();
      write_grid(s, prep.transform);
    });
  }
  return summary;
}

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

void VaeTrainer::save_final() {
  State& s = *s_;
  s.vae.save(s.o.out + "/vae.safetensors");
  if (s.ema) {
    models::AutoencoderKL averaged(s.vae.config());
    s.ema->copy_to(averaged.module());
    averaged.save(s.o.out + "/vae-ema.safetensors");
  }
  s.disc.save(s.o.out + "/disc.safetensors");
  if (s.mapper)
    models::save_model_safetensors(s.o.out + "/mapper.safetensors", models::module_state_arrays(*s.mapper),
                                   "latentlab.sendvae_mapper.config",
                                   nlohmann::json{{"patch_size", s.mapper->config().patch_size},
                                                  {"width", s.mapper->config().width},
                                                  {"depth", s.mapper->config().depth},
                                                  {"heads", s.mapper->config().heads},
                                                  {"teacher_width", s.mapper->config().teacher_width}}
                                       .dump());
  if (s.proj)
    models::save_model_safetensors(s.o.out + "/linear_proj.safetensors", models::module_state_arrays(*s.proj),
                                   "latentlab.vf_projection.config",
                                   nlohmann::json{{"teacher_width", s.teacher->width()}}.dump());
}

}  // namespace latentlab::train
