#include "train/teacher_trainer.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/optim/adamw.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "distributed/batch_split.h"
#include "distributed/communicator.h"
#include "distributed/gradient_sync.h"
#include "distributed/module_sync.h"
#include "io/tensor_convert.h"
#include "models/module_state.h"
#include "train/checkpoint.h"
#include "train/foreach_adamw.h"
#include "train/jsonl_log.h"
#include "train/lost_rank.h"
#include "train/optimizer_state.h"
#include "train/rng_state.h"
#include "train/step_log.h"
#include "train/step_tail.h"

namespace fs = std::filesystem;

namespace latentlab::train {
namespace {

// Parameters and buffers in their own dtype (models::module_state_arrays writes float32), so that a float64
// run resumes exactly too.
io::NamedArrays exact_state(torch::nn::Module& module) {
  io::NamedArrays out;
  for (const auto& item : module.named_parameters())
    out.emplace_back(item.key(), io::to_array(item.value().detach().cpu().contiguous(), item.key()));
  for (const auto& item : module.named_buffers())
    out.emplace_back(item.key(), io::to_array(item.value().detach().cpu().contiguous(), item.key()));
  return out;
}

}  // namespace

struct TeacherTrainer::State {
  models::ProceduralTeacherNet net;
  const models::TeacherTrainingData& data;
  TeacherTrainOptions o;
  at::Device device;
  distributed::Communicator& comm;
  distributed::BatchPlan plan;
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::unique_ptr<distributed::GradientSync> sync;
  int64_t step = 0;
  std::vector<double> losses;  // the total of every step since step 0
  std::string last_checkpoint;

  State(models::ProceduralTeacherNet n, const models::TeacherTrainingData& d, TeacherTrainOptions options,
        const at::Device& dev, distributed::Communicator& c)
      : net(std::move(n)), data(d), o(std::move(options)), device(dev), comm(c) {}

  std::string checkpoint_dir() const { return o.out + "/checkpoints"; }
  int64_t steps_per_epoch() const { return plan.steps_per_epoch(); }
};

TeacherTrainer::TeacherTrainer(models::ProceduralTeacherNet net, const models::TeacherTrainingData& data,
                               TeacherTrainOptions options, const at::Device& device,
                               distributed::Communicator& communicator)
    : s_(std::make_unique<State>(std::move(net), data, std::move(options), device, communicator)) {
  State& s = *s_;
  LATENTLAB_ASSERT(data.targets.size() == s.net->config().factors.size(), "{} targets for {} heads",
                   data.targets.size(), s.net->config().factors.size());
  s.plan = {data.images.size(0), s.o.batch_size, s.o.seed};
  distributed::validate(s.plan, communicator.world_size());
  s.net->to(device);
  s.net->train();
  distributed::broadcast_state(communicator, *s.net);
  s.optimizer = std::make_unique<ForeachAdamW>(s.net->parameters(),
                                               torch::optim::AdamWOptions(s.o.lr).weight_decay(s.o.weight_decay));
  s.sync = std::make_unique<distributed::GradientSync>(communicator, s.net->parameters());
}

TeacherTrainer::~TeacherTrainer() = default;

int64_t TeacherTrainer::step() const {
  return s_->step;
}
models::ProceduralTeacherNet& TeacherTrainer::net() {
  return s_->net;
}

LossTerms TeacherTrainer::train_step() {
  State& s = *s_;
  const double lr = apply_schedule(*s.optimizer, s.o.schedule, s.o.lr, s.step);
  const auto rows = distributed::rank_batch(s.plan, s.step, s.comm.rank(), s.comm.world_size());
  const at::Tensor index = at::tensor(rows, at::kLong);
  const at::Tensor x = models::network_input(s.net, s.data.images.index_select(0, index), s.device);
  const auto logits = s.net->head_logits(s.net->token_map(x));
  const auto& factors = s.net->config().factors;
  LossTerms terms;
  at::Tensor total = at::zeros({}, x.options());
  for (size_t h = 0; h < logits.size(); ++h) {
    const at::Tensor ce = at::cross_entropy_loss(logits[h], s.data.targets[h].index_select(0, index).to(s.device));
    total = total + ce;
    terms.emplace_back("ce_" + factors[h], ce.item<double>());
  }
  terms.emplace_back("total", total.item<double>());
  // The logged terms are the means over ranks; every rank stops at once when any rank's term is not finite,
  // naming that rank. Step 1-based, as in the log.
  average_and_check_finite(s.comm, terms, s.step + 1, s.last_checkpoint);

  const auto norm = backward_and_step(*s.optimizer, s.sync.get(), total, s.net->parameters(), s.o.grad_clip);
  if (norm) terms.emplace_back("grad_norm", *norm);
  terms.emplace_back("lr", lr);
  s.losses.push_back(terms[factors.size()].second);
  ++s.step;
  return terms;
}

void TeacherTrainer::save_checkpoint() {
  State& s = *s_;
  Checkpoint c;
  c.step = s.step;
  c.state = {{"epoch", s.step / s.steps_per_epoch()},
             {"position", (s.step % s.steps_per_epoch()) * s.o.batch_size},
             {"dataset", s.net->config().dataset},
             {"batch_size", s.o.batch_size},
             {"seed", s.o.seed},
             {"world_size", s.comm.world_size()},
             {"teacher_config", nlohmann::json::parse(s.net->config().to_json_string())}};
  append_prefixed(c.tensors, "net.", exact_state(*s.net));
  c.tensors.emplace_back("optim.teacher", optimizer_state_array(*s.optimizer));
  c.tensors.emplace_back("train.losses", io::to_array(at::tensor(s.losses, at::kDouble), "losses"));
  append_prefixed(c.tensors, "", capture_rng_states({}));
  s.last_checkpoint = write_checkpoint_on_rank0(s.comm, s.checkpoint_dir(), c, s.o.keep_checkpoints);
}

int64_t TeacherTrainer::resume() {
  State& s = *s_;
  if (s.o.resume == "auto" && s.o.out.empty()) return 0;  // nowhere to look
  const auto found = checkpoint_to_resume(s.o.resume, s.checkpoint_dir());
  if (!found) return 0;
  const std::string& path = *found;
  const Checkpoint c = read_checkpoint(path);
  const auto config = c.state.value("teacher_config", nlohmann::json());
  if (config != nlohmann::json::parse(s.net->config().to_json_string()))
    fail(path, "was written for another teacher network or dataset ({}); this run: {}", config.dump(),
         s.net->config().to_json_string());
  if (c.state.value("batch_size", int64_t{0}) != s.o.batch_size || c.state.value("seed", uint64_t{0}) != s.o.seed)
    log::warn("train-teacher: {} was written at batch size {} and seed {}; the data order will differ", path,
              c.state.value("batch_size", int64_t{0}), c.state.value("seed", uint64_t{0}));
  if (c.step > s.o.steps) fail(path, "is at step {}, past --steps {}", c.step, s.o.steps);
  models::load_module_state(*s.net, select_prefixed(c.tensors, "net."), path, "procedural teacher");
  load_optimizer_state(*s.optimizer, find_array(c.tensors, "optim.teacher", path), path);
  restore_rng_states(c.tensors, {}, path);
  const at::Tensor losses = io::to_tensor(find_array(c.tensors, "train.losses", path)).to(at::kDouble).contiguous();
  if (losses.numel() != c.step) fail(path, "holds {} losses for step {}", losses.numel(), c.step);
  s.losses.assign(losses.data_ptr<double>(), losses.data_ptr<double>() + losses.numel());
  s.step = c.step;
  s.last_checkpoint = path;
  distributed::require_identical(s.comm, s.step, s.net->parameters(), path);
  log::info("train-teacher: resumed from {} (step {})", path, s.step);
  return s.step;
}

// A function-try-block: a rank lost anywhere in the run stops it naming the checkpoint to resume from.
TeacherTrainSummary TeacherTrainer::run(int64_t stop_at, const std::function<void(int64_t, double)>& on_step) try {
  State& s = *s_;
  const int64_t end = stop_at > 0 && stop_at < s.o.steps ? stop_at : s.o.steps;
  std::optional<JsonlLog> log;
  std::optional<StepLogWriter> records;
  if (!s.o.out.empty() && s.comm.is_main()) {
    fs::create_directories(s.o.out);
    log.emplace(s.o.out + "/log.jsonl", s.step);
    records.emplace(*log);
  }
  TeacherTrainSummary summary;
  summary.start_step = s.step;
  const auto start = std::chrono::steady_clock::now();
  s.net->train();
  while (s.step < end) {
    const LossTerms terms = train_step();
    if (records) records->count_step();
    if (on_step) on_step(s.step, s.losses.back());
    if (records && (s.step % s.o.log_every == 0 || s.step == end))
      records->write(s.step, (s.step - 1) / s.steps_per_epoch(), terms);
    const bool due = s.o.checkpoint_every > 0 && s.step % s.o.checkpoint_every == 0;
    if (!s.o.out.empty() && (due || s.step == end)) save_checkpoint();
  }
  s.net->eval();
  summary.end_step = s.step;
  summary.seconds = seconds_since(start);
  summary.losses = s.losses;
  summary.last_checkpoint = s.last_checkpoint;
  return summary;
} catch (const distributed::RankLost& lost) {
  State& s = *s_;  // nothing of a step is changed before its optimiser step: train/lost_rank.h
  std::function<std::string()> save;
  if (!s.o.out.empty())
    save = [&] {
      save_checkpoint();
      return s.last_checkpoint;
    };
  stop_after_lost_rank(lost, s.comm, nullptr, s.step, s.checkpoint_dir(), s.last_checkpoint, save);
}

}  // namespace latentlab::train
