#include "train/ldm_trainer.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>
#include <nlohmann/json.hpp>

#include "cache/cache_latents.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "datasets/dataset_spec.h"
#include "datasets/preprocess.h"
#include "diffusion/flow_matching.h"
#include "diffusion/sample_plan.h"
#include "distributed/checkpoint_sync.h"
#include "distributed/communicator.h"
#include "distributed/gradient_sync.h"
#include "distributed/module_sync.h"
#include "store/reader.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/foreach_adamw.h"
#include "train/jsonl_log.h"
#include "train/ldm_latents.h"
#include "train/ldm_sample_grid.h"
#include "train/lost_rank.h"
#include "train/optimizer_state.h"
#include "train/precision.h"
#include "train/step_log.h"
#include "train/step_tail.h"

namespace fs = std::filesystem;

namespace latentlab::train {
namespace {

constexpr uint64_t kStepStream = 0x5EEDF10Full;  // the per-step draws of train_step

// REPA's alignment (sihyun-yu/REPA loss.py): −cos(projection, teacher token) per token, averaged over tokens
// and the batch; both sides L2-normalised with F.normalize's eps 1e-12.
at::Tensor repa_loss(const at::Tensor& projection, const at::Tensor& teacher_tokens) {
  const auto unit = [](const at::Tensor& v) { return v / v.norm(2, -1, true).clamp_min(1e-12); };
  return -(unit(projection) * unit(teacher_tokens)).sum(-1).mean();
}

}  // namespace

struct LdmTrainer::State {
  LdmTrainOptions o;
  std::shared_ptr<models::Teacher> teacher;
  std::unique_ptr<distributed::Communicator> own_communicator;
  distributed::Communicator* comm;
  at::Device device;
  Precision precision;
  std::unique_ptr<store::StoreReader> reader;
  std::unique_ptr<datasets::ImageSource> images;
  diffusion::LatentNorm norm;
  // REPA targets: read from the store (teacher tokens cached with the latents) or computed online; set by
  // decide_repa, so declared before `repa`.
  bool repa_from_store = false;
  int64_t repa_width = 0;
  bool repa = false;
  models::SiT sit;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<Ema> ema;
  std::unique_ptr<distributed::GradientSync> sync;
  std::unique_ptr<LdmBatchSource> batches;
  int64_t step = 0;
  std::string last_checkpoint;
  LossTerms last_terms;

  State(LdmTrainOptions options, std::shared_ptr<models::Teacher> t, distributed::Communicator* c)
      : o(std::move(options)),
        teacher(std::move(t)),
        own_communicator(c ? nullptr : std::make_unique<distributed::Communicator>()),
        comm(c ? c : own_communicator.get()),
        device(o.device),
        precision(parse_precision(o.precision, "--precision")),
        reader(std::make_unique<store::StoreReader>(o.store)),
        norm(ldm_latent_norm(reader->info(), o.latent_norm, o.latent_scale)),
        repa(decide_repa()),
        sit((at::manual_seed(o.seed), ldm_sit_config(o, *reader, repa ? repa_width : 0))) {}

  // Why the store's teacher tokens cannot be REPA's targets; empty when they can: the store holds tokens of
  // the requested teacher (any, without --teacher) on this SiT's token grid.
  std::string store_tokens_problem() const {
    const auto& id = reader->info().header.identity;
    if (!id.has_teacher_tokens()) return "holds no teacher tokens";
    if (teacher && teacher->identity() != id.teacher)
      return fmt::format("holds the tokens of another teacher ('{}'; --teacher is '{}')", id.teacher,
                         teacher->identity());
    const int64_t patch = o.patch_size > 0 ? o.patch_size : models::SiTConfig::preset_config(o.preset).patch_size;
    const std::vector<int64_t> grid = {id.latent_shape[1] / patch, id.latent_shape[2] / patch};
    if (id.teacher_grid != grid)
      return fmt::format("holds teacher tokens on a {}×{} grid, the SiT's (patch {}) is {}×{}", id.teacher_grid[0],
                         id.teacher_grid[1], patch, grid[0], grid[1]);
    return "";
  }

  // REPA needs teacher features: the store's teacher tokens when it holds those of this teacher (`cache
  // --teacher`), else computed online from the images the store was cached from, when a teacher and those
  // images are given.
  bool decide_repa() {
    if (o.repa == "off") return false;
    const std::string problem =
        o.repa_features == "online" ? "is not read (--repa-features online)" : store_tokens_problem();
    if (problem.empty()) {
      repa_from_store = true;
      repa_width = reader->info().header.identity.teacher_width;
      return true;
    }
    if (o.repa_features == "store") fail_usage("--repa-features", "is store, but {} {}", o.store, problem);
    std::string missing;
    if (!teacher)
      missing = "--teacher";
    else if (o.dataset.empty())
      missing = "--dataset";
    if (!missing.empty()) {
      const std::string why = fmt::format(
          "REPA needs teacher patch features: {} {}, so they are computed online from the cached images, which "
          "needs {}",
          o.store, problem, missing);
      if (o.repa == "on") fail_usage(missing, "is required with --repa on: {}", why);
      log::info("train-ldm: REPA off. {}", why);
      return false;
    }
    images = datasets::open_dataset(o.dataset);
    const auto& identity = reader->info().header.identity;
    if (cache::dataset_fingerprint(images->info()) != identity.dataset_fingerprint)
      fail_usage("--dataset", "'{}' is not the dataset {} was cached from (dataset fingerprints differ)", o.dataset,
                 o.store);
    const auto prep = datasets::make_preprocess(o.preprocess, o.resolution);
    if (prep.protocol != identity.preprocessing)
      fail_usage("--preprocess", "gives '{}' but {} was cached with '{}'", prep.protocol, o.store,
                 identity.preprocessing);
    if (identity.has_teacher_tokens()) log::info("train-ldm: REPA targets online: {} {}", o.store, problem);
    repa_width = teacher->width();
    return true;
  }

  // The teacher in one line for logs, checkpoints and results (its identity as the store records it when
  // the tokens are read from a store without --teacher).
  std::string teacher_description() const {
    if (!repa) return "";
    return teacher ? teacher->description() : reader->info().header.identity.teacher;
  }

  std::string checkpoint_dir() const { return o.out + "/checkpoints"; }
  int64_t classes() const { return sit.config().num_classes; }
  std::vector<int64_t> latent_shape() const { return reader->info().header.identity.latent_shape; }
};

LdmTrainer::LdmTrainer(LdmTrainOptions options, std::shared_ptr<models::Teacher> teacher,
                       distributed::Communicator* communicator)
    : s_(std::make_unique<State>(std::move(options), std::move(teacher), communicator)) {
  State& s = *s_;
  const auto& o = s.o;
  s.sit.to(s.device);
  s.sit.module().train(true);
  if (s.repa && !s.repa_from_store) s.teacher->to(s.device);
  require_same_latents_on_every_rank(*s.comm, *s.reader, s.norm, s.classes());  // before any rank relies on them
  distributed::broadcast_state(*s.comm, s.sit.module());
  s.optimizer = std::make_unique<ForeachAdamW>(
      s.sit.module().parameters(),
      torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.adam_eps).weight_decay(o.weight_decay));
  if (o.ema > 0) s.ema = std::make_unique<Ema>(s.sit.module(), o.ema);
  s.sync = std::make_unique<distributed::GradientSync>(*s.comm, s.sit.module().parameters());

  LdmBatchOptions bo;
  bo.plan = {s.reader->rows(), o.batch_size, static_cast<uint64_t>(o.seed)};
  bo.rank = s.comm->rank();
  bo.world_size = s.comm->world_size();
  bo.random_flip = o.random_flip;
  bo.teacher_tokens = s.repa_from_store;
  datasets::Pipeline::Transform transform;
  if (s.repa && !s.repa_from_store) transform = datasets::make_preprocess(o.preprocess, o.resolution).transform;
  s.batches = std::make_unique<LdmBatchSource>(*s.reader, bo, s.images.get(), transform);
  if (s.comm->is_main())
    log::info("train-ldm: {} ({:.2f} M parameters) on {} ({} rows, latents {}), normalisation {}, REPA {}{}", o.preset,
              s.sit.parameter_count() / 1e6, o.store, s.reader->rows(), fmt::join(s.latent_shape(), "×"), s.norm.source,
              !s.repa             ? "off"
              : s.repa_from_store ? "on (teacher tokens read from the store), teacher "
                                  : "on (teacher tokens computed online), teacher ",
              s.teacher_description());
}

LdmTrainer::~LdmTrainer() = default;

int64_t LdmTrainer::step() const {
  return s_->step;
}
bool LdmTrainer::repa() const {
  return s_->repa;
}
bool LdmTrainer::repa_from_store() const {
  return s_->repa_from_store;
}
std::string LdmTrainer::teacher_description() const {
  return s_->teacher_description();
}
const models::SiT& LdmTrainer::sit() const {
  return s_->sit;
}
const diffusion::LatentNorm& LdmTrainer::latent_norm() const {
  return s_->norm;
}
const std::string& LdmTrainer::last_checkpoint() const {
  return s_->last_checkpoint;
}

LdmBatch LdmTrainer::batch(int64_t step) {
  return s_->batches->get(step);
}

// The loss terms of `batch` with the draws of step `draw_step`, gradients flowing (unless a guard is held).
LdmTrainer::Losses LdmTrainer::losses(const LdmBatch& batch, int64_t draw_step) {
  State& s = *s_;
  const auto& o = s.o;
  // Every draw is made for the whole global batch from the step's generator; this rank keeps its positions.
  const auto shape = s.latent_shape();
  const int64_t global = o.batch_size;
  at::Generator gen = at::detail::createCPUGenerator(diffusion::sample_seed(o.seed ^ kStepStream, draw_step));
  const at::Tensor eps_z = at::randn({global, shape[0], shape[1], shape[2]}, gen, at::kFloat);
  const at::Tensor t_all = diffusion::sample_times(global, o.time_sampling, gen);
  const at::Tensor noise_all = at::randn({global, shape[0], shape[1], shape[2]}, gen, at::kFloat);
  const at::Tensor drop_all = at::rand({global}, gen, at::kFloat) < o.label_dropout;
  const at::Tensor mine = at::tensor(batch.positions, at::kLong);

  const at::Tensor z = o.sample_posterior ? batch.mean + batch.std * eps_z.index_select(0, mine) : batch.mean;
  const at::Tensor x = s.norm.normalize(z).to(s.device);
  const at::Tensor noise = noise_all.index_select(0, mine).to(s.device);
  const at::Tensor t = t_all.index_select(0, mine).to(s.device);
  const at::Tensor x_t = diffusion::interpolate(x, noise, t);
  const at::Tensor target = diffusion::velocity_target(x, noise);
  models::SiTForwardOptions fo;
  fo.force_drop = drop_all.index_select(0, mine).to(s.device);
  fo.project = s.repa;

  models::SiT::Output out;
  {
    const auto autocast = autocast_scope(s.precision, s.device.type());
    out = s.sit.forward(x_t, t, batch.labels.to(s.device), fo);
  }
  Losses l;
  l.denoise = diffusion::flow_matching_loss(out.prediction.to(at::kFloat), target);
  l.total = l.denoise;
  l.repa = at::zeros({}, l.denoise.options());
  if (s.repa) {
    at::Tensor tokens;
    if (s.repa_from_store) {
      tokens = batch.teacher_tokens.to(s.device);  // cached by `cache --teacher`: the same call on the same images
    } else {
      at::NoGradGuard no_grad;
      const at::Tensor images = batch.images.to(s.device).to(at::kFloat) / 127.5 - 1.0;
      const int64_t grid = s.sit.config().grid_size();
      tokens = s.teacher->patch_tokens(images, grid, grid).to(at::kFloat);
    }
    l.repa = repa_loss(out.projections.at(0).to(at::kFloat), tokens);
    l.total = l.total + o.repa_weight * l.repa;
  }
  return l;
}

// This rank's terms; averaged over ranks they are the global batch's (equal per-rank batches).
static LossTerms ldm_rank_terms(const LdmTrainer::Losses& l, bool repa) {
  LossTerms terms{{"denoise", l.denoise.item<double>()}};
  if (repa) terms.emplace_back("repa", l.repa.item<double>());
  terms.emplace_back("total", l.total.item<double>());
  return terms;
}

LossTerms LdmTrainer::evaluate(const LdmBatch& batch, int64_t draw_step) {
  at::NoGradGuard no_grad;
  LossTerms terms = ldm_rank_terms(losses(batch, draw_step), s_->repa);
  average_terms(*s_->comm, terms);
  return terms;
}

LossTerms LdmTrainer::train_step(const LdmBatch& batch) {
  State& s = *s_;
  const auto& o = s.o;
  const double lr = apply_schedule(*s.optimizer, o.schedule, o.lr, s.step);
  const Losses l = losses(batch, s.step);
  LossTerms terms = ldm_rank_terms(l, s.repa);
  // Averaged over ranks; every rank stops at once when any rank's term is not finite. Step 1-based, as in the log.
  average_and_check_finite(*s.comm, terms, s.step + 1, s.last_checkpoint);

  const auto norm = backward_and_step(*s.optimizer, s.sync.get(), l.total, s.sit.module().parameters(), o.grad_clip);
  if (norm) terms.emplace_back("grad_norm", *norm);
  if (s.ema) s.ema->update(s.sit.module());
  terms.emplace_back("lr", lr);
  ++s.step;
  s.last_terms = terms;
  return terms;
}

void LdmTrainer::save_checkpoint() {
  State& s = *s_;
  Checkpoint c;
  c.step = s.step;
  c.state = {{"store", s.o.store},
             {"store_vae_sha256", s.reader->info().header.identity.vae_sha256},
             {"batch_size", s.o.batch_size},
             {"seed", s.o.seed},
             {"sit_config", s.sit.config().to_json()},
             {"latent_norm", s.norm.to_json()},
             {"repa", s.repa},
             {"teacher", s.teacher_description()},
             {"repa_features", s.repa ? (s.repa_from_store ? "store" : "online") : ""}};
  append_prefixed(c.tensors, "sit.", s.sit.state_arrays());
  if (s.ema) append_prefixed(c.tensors, "ema.", s.ema->state_arrays());
  c.tensors.emplace_back("optim.sit", optimizer_state_array(*s.optimizer));
  s.last_checkpoint = write_checkpoint_on_rank0(*s.comm, s.checkpoint_dir(), c, s.o.keep_checkpoints);
}

int64_t LdmTrainer::resume() {
  State& s = *s_;
  const auto found = checkpoint_to_resume(s.o.resume, s.checkpoint_dir());
  if (!found) return 0;
  const std::string& path = *found;
  const Checkpoint c = read_checkpoint(path);
  if (!c.state.contains("sit_config") || !c.state.contains("latent_norm"))
    fail(path, "is not a train-ldm checkpoint (no sit_config / latent_norm in its state)");
  const auto config = models::SiTConfig::from_json(c.state["sit_config"], path + " (sit_config)");
  if (!models::same_architecture(config, s.sit.config()))
    fail(path, "holds a SiT {} but this run builds {}", c.state["sit_config"].dump(), s.sit.config().to_json_string());
  const auto& recorded = c.state["latent_norm"];  // the numbers and the VAE; the store may have moved
  if (recorded.value("mean", nlohmann::json()) != nlohmann::json(s.norm.mean) ||
      recorded.value("std", nlohmann::json()) != nlohmann::json(s.norm.std) ||
      recorded.value("vae_sha256", "") != s.norm.vae_sha256)
    fail(path, "was trained with latent normalisation {}, this run's store gives {}", c.state["latent_norm"].dump(),
         s.norm.to_json_string());
  if (c.state.value("batch_size", int64_t{0}) != s.o.batch_size || c.state.value("seed", int64_t{-1}) != s.o.seed)
    log::warn("train-ldm: {} was written at batch size {} and seed {}; the data order will differ", path,
              c.state.value("batch_size", int64_t{0}), c.state.value("seed", int64_t{-1}));
  s.sit.load_state(select_prefixed(c.tensors, "sit."), path);
  if (s.ema) {
    const auto shadow = select_prefixed(c.tensors, "ema.");
    if (shadow.empty()) fail(path, "holds no EMA weights but --ema is {}", s.o.ema);
    s.ema->load_state(shadow, path);
  }
  load_optimizer_state(*s.optimizer, find_array(c.tensors, "optim.sit", path), path);
  s.step = c.step;
  s.last_checkpoint = path;
  distributed::require_identical(*s.comm, s.step, s.sit.module().parameters(), path);
  if (s.comm->is_main()) log::info("train-ldm: resumed from {} (step {})", path, s.step);
  return s.step;
}

namespace {

// The weights a sample grid and sit.safetensors use: the EMA when there is one.
models::SiT averaged_copy(const models::SiT& sit, const Ema* ema) {
  models::SiT copy(sit.config());
  copy.to(sit.device());
  if (ema)
    ema->copy_to(copy.module());
  else
    copy.load_state(sit.state_arrays(), "sit");
  return copy;
}

}  // namespace

// A function-try-block: a rank lost anywhere in the run stops it naming the checkpoint to resume from.
LdmTrainSummary LdmTrainer::run(int64_t stop_at) try {
  State& s = *s_;
  const auto& o = s.o;
  const bool main = s.comm->is_main();
  std::optional<LdmSampleGrid> grid;  // first: a wrong --vae fails before anything is written
  if (main && o.grid_images > 0) grid.emplace(o, s.norm, s.classes(), s.latent_shape());
  if (main) fs::create_directories(o.out);
  const int64_t end = stop_at > 0 && stop_at < o.steps ? stop_at : o.steps;
  std::optional<JsonlLog> log;
  std::optional<StepLogWriter> records;
  if (main) records.emplace(log.emplace(o.out + "/log.jsonl", s.step));
  LdmTrainSummary summary;
  summary.start_step = s.step;
  summary.repa = s.repa;
  const int64_t steps_per_epoch = s.reader->rows() / o.batch_size;
  const auto start = std::chrono::steady_clock::now();
  {
    std::optional<ProgressBar> bar;
    if (main) bar.emplace("train-ldm", end - s.step, "step");
    while (s.step < end) {
      const LossTerms terms = train_step(s.batches->get(s.step));
      if (bar) bar->advance();
      if (records) records->count_step();
      if (records && (s.step % o.log_every == 0 || s.step == end))
        records->write(s.step, (s.step - 1) / steps_per_epoch, terms);
      if (s.step % o.checkpoint_every == 0 || s.step == end) save_checkpoint();
      if (grid && o.grid_every > 0 && s.step % o.grid_every == 0 && s.step < o.steps)
        grid->write(averaged_copy(s.sit, s.ema.get()), s.step);
    }
  }
  summary.finish(s.step, seconds_since(start), s.last_terms, s.last_checkpoint);
  if (s.step >= o.steps) {
    save_final();
    if (grid) grid->write(averaged_copy(s.sit, s.ema.get()), s.step);
  }
  return summary;
} catch (const distributed::RankLost& lost) {
  State& s = *s_;  // nothing of a step is changed before its optimiser step: train/lost_rank.h
  stop_after_lost_rank(lost, *s.comm, nullptr, s.step, s.checkpoint_dir(), s.last_checkpoint, [&] {
    save_checkpoint();
    return s.last_checkpoint;
  });
}

void LdmTrainer::save_final() {
  State& s = *s_;
  distributed::write_on_rank0(*s.comm, s.o.out + "/sit.safetensors", [&] {
    diffusion::save_sit_checkpoint(s.o.out + "/sit.safetensors", averaged_copy(s.sit, s.ema.get()), s.norm);
    if (s.ema) diffusion::save_sit_checkpoint(s.o.out + "/sit-raw.safetensors", s.sit, s.norm);
  });
}

}  // namespace latentlab::train
