// Test driver for lib/distributed: one rank of a data-parallel job (or the single-process peer when
// WORLD_SIZE is unset), launched by tests/unit/distributed/data_parallel_test.cpp with torchrun-style
// variables. It trains a tiny float64 model on a seeded synthetic dataset exactly as a trainer would use
// the library, and rank 0 writes the final parameters as raw little-endian doubles.
//
//   distributed_driver train --model mlp|conv --optimizer sgd|adamw --steps N --batch B --out FILE
//       [--sync overlap|after] [--bucket-bytes N] [--timeout S] [--checkpoint FILE --checkpoint-step K]
//       [--resume FILE] [--kill-rank R --kill-step K] [--stall-rank R --stall-step K --stall-marker FILE]
//   distributed_driver batchnorm --batch B --out FILE   (running statistics after one averaged step)
//   distributed_driver syncbn --batch B --out FILE [--sync on|off]   (SyncBatchNorm: two steps, see syncbn())
//   distributed_driver bench --sync overlap|after --steps N --width W --depth D --batch B [--device D]
//       [--force-group on [--rounds R]]
// Every mode takes --backend gloo|nccl|auto (default gloo) and --force-group on|off (default off): "on" gives
// a single process (WORLD_SIZE unset or 1) a c10d group of world size 1 at MASTER_ADDR:MASTER_PORT, so the
// collective path (broadcasts, GradientSync's buckets, hooks and all-reduces) runs although nothing needs it.
// bench runs on --device (default: the communicator's, cuda:LOCAL_RANK under NCCL) and waits for the device
// before each clock reading; with --force-group on it times the same model and steps without a group and with
// the group of one, alternating, R rounds (default 3): the cost of the path itself, e.g. NCCL's on one GPU.
// Exits like `latentlab`: one "error:" line and a non-zero status on a UserError or an unknown option.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <torch/nn.h>
#include <torch/optim.h>

#include "core/error.h"
#include "distributed/batch_split.h"
#include "distributed/checkpoint_sync.h"
#include "distributed/communicator.h"
#include "distributed/gradient_sync.h"
#include "distributed/launch_env.h"
#include "distributed/module_sync.h"
#include "distributed/sync_batchnorm.h"

namespace dist = latentlab::distributed;

namespace {

using Args = std::map<std::string, std::string>;

std::string arg(const Args& args, const std::string& name, const std::string& fallback) {
  const auto it = args.find(name);
  return it == args.end() ? fallback : it->second;
}
int64_t int_arg(const Args& args, const std::string& name, int64_t fallback) {
  return std::stoll(arg(args, name, std::to_string(fallback)));
}
bool on_off_arg(const Args& args, const std::string& name) {
  const std::string value = arg(args, name, "off");
  if (value != "on" && value != "off") latentlab::fail_usage("--" + name, "'{}' is not on or off", value);
  return value == "on";
}

constexpr int64_t kDatasetSize = 48;
constexpr uint64_t kDataSeed = 1234;

// The synthetic dataset, identical on every rank: inputs (N, 8) or (N, 1, 6, 6), targets (N, 2).
std::pair<torch::Tensor, torch::Tensor> make_data(bool conv) {
  torch::manual_seed(kDataSeed);
  auto options = torch::TensorOptions(torch::kFloat64);
  torch::Tensor x = conv ? torch::randn({kDatasetSize, 1, 6, 6}, options) : torch::randn({kDatasetSize, 8}, options);
  torch::Tensor y = torch::sin(x.reshape({kDatasetSize, -1}).narrow(1, 0, 2) * 3);
  return {x, y};
}

// Every rank initialises differently (seed + rank): only broadcast_state makes them agree.
torch::nn::Sequential make_model(bool conv, int64_t seed) {
  torch::manual_seed(seed);
  torch::nn::Sequential model;
  if (conv) {
    model->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)));
    model->push_back(torch::nn::Tanh());
    model->push_back(torch::nn::Flatten());
    model->push_back(torch::nn::Linear(4 * 4 * 4, 2));
  } else {
    model->push_back(torch::nn::Linear(8, 16));
    model->push_back(torch::nn::Tanh());
    model->push_back(torch::nn::Linear(16, 16));
    model->push_back(torch::nn::Tanh());
    model->push_back(torch::nn::Linear(16, 2));
  }
  model->to(torch::kFloat64);
  return model;
}

// Raw doubles; `step` first when a checkpoint. Written to a temporary name and renamed (atomic).
void write_doubles(const std::string& path, const std::vector<torch::Tensor>& tensors, int64_t step) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    if (step >= 0) out.write(reinterpret_cast<const char*>(&step), sizeof step);
    for (const auto& t : tensors) {
      const torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
      out.write(reinterpret_cast<const char*>(c.data_ptr<double>()), c.numel() * sizeof(double));
    }
    if (!out) latentlab::fail(path, "cannot write");
  }
  std::rename(temporary.c_str(), path.c_str());
}

int64_t read_checkpoint(const std::string& path, const std::vector<torch::Tensor>& tensors) {
  std::ifstream in(path, std::ios::binary);
  int64_t step = 0;
  in.read(reinterpret_cast<char*>(&step), sizeof step);
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<double> values(t.numel());
    in.read(reinterpret_cast<char*>(values.data()), values.size() * sizeof(double));
    t.copy_(torch::from_blob(values.data(), t.sizes(), torch::kFloat64));
  }
  if (!in) latentlab::fail(path, "truncated checkpoint");
  return step;
}

dist::DistributedOptions distributed_options(const Args& args) {
  dist::DistributedOptions options;
  options.backend = arg(args, "backend", "gloo");
  options.timeout_s = std::stod(arg(args, "timeout", "30"));
  options.force_group = on_off_arg(args, "force-group");
  return options;
}

// torchrun's variables. read_launch_env() ignores MASTER_ADDR/MASTER_PORT without a job; a forced group of one
// process needs them for its store.
std::unique_ptr<dist::Communicator> make_communicator(const Args& args) {
  const dist::DistributedOptions options = distributed_options(args);
  dist::LaunchEnv env = dist::read_launch_env();
  if (options.force_group && !env.distributed()) {
    if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) env.master_addr = addr;
    if (const char* port = std::getenv("MASTER_PORT"))
      env.master_port = dist::parse_int_in_range(port, 1, 65535, "MASTER_PORT");
  }
  return std::make_unique<dist::Communicator>(env, options);
}

int train(const Args& args) {
  auto communicator = make_communicator(args);
  const bool conv = arg(args, "model", "mlp") == "conv";
  const auto [x, y] = make_data(conv);
  auto model = make_model(conv, 7 + communicator->rank());
  dist::broadcast_state(*communicator, *model);

  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (arg(args, "optimizer", "sgd") == "adamw")
    optimizer =
        std::make_unique<torch::optim::AdamW>(model->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
  else
    optimizer = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(0.1));

  dist::GradientSyncOptions sync_options;
  sync_options.overlap = arg(args, "sync", "overlap") == "overlap";
  sync_options.bucket_bytes = int_arg(args, "bucket-bytes", 25 << 20);
  dist::GradientSync sync(*communicator, model->parameters(), sync_options);

  const dist::BatchPlan plan{kDatasetSize, int_arg(args, "batch", 12), 99};
  dist::validate(plan, communicator->world_size());
  int64_t step = 0;
  if (args.count("resume")) {
    step = read_checkpoint(args.at("resume"), model->parameters());
    dist::require_identical(*communicator, step, model->parameters(), args.at("resume"));
  }
  const int64_t steps = int_arg(args, "steps", 4);
  size_t overlapped = 0;
  for (; step < steps; ++step) {
    if (communicator->rank() == int_arg(args, "kill-rank", -1) && step == int_arg(args, "kill-step", -1))
      std::raise(SIGKILL);
    if (communicator->rank() == int_arg(args, "stall-rank", -1) && step == int_arg(args, "stall-step", -1)) {
      std::ofstream(arg(args, "stall-marker", "/dev/null")) << "stalled\n";
      std::this_thread::sleep_for(std::chrono::hours(1));
    }
    if (args.count("checkpoint") && step == int_arg(args, "checkpoint-step", -1)) {
      const std::string path = args.at("checkpoint");
      dist::write_on_rank0(*communicator, path, [&] { write_doubles(path, model->parameters(), step); });
    }
    const auto mine = dist::rank_batch(plan, step, communicator->rank(), communicator->world_size());
    const auto index = torch::tensor(mine, torch::kLong);
    optimizer->zero_grad();
    sync.prepare();
    torch::mse_loss(model->forward(x.index_select(0, index)), y.index_select(0, index)).backward();
    sync.finish();
    overlapped += sync.launched_during_backward();
    optimizer->step();
  }
  dist::require_identical(*communicator, step, model->parameters(), "final parameters");
  std::cout << "rank " << communicator->rank() << " (" << communicator->backend() << ", world "
            << communicator->world_size() << "): buckets " << sync.bucket_count() << ", launched during backward "
            << overlapped << "\n";
  const std::string out = arg(args, "out", "");
  if (!out.empty()) dist::write_on_rank0(*communicator, out, [&] { write_doubles(out, model->parameters(), -1); });
  return 0;
}

// One training-mode BatchNorm step on each rank's part of the global batch, then average_buffers.
int batchnorm(const Args& args) {
  auto communicator = make_communicator(args);
  torch::manual_seed(kDataSeed);
  const torch::Tensor x = torch::randn({kDatasetSize, 3, 2, 2}, torch::kFloat64) * 2 + 1;
  torch::nn::BatchNorm2d norm(torch::nn::BatchNorm2dOptions(3).momentum(0.25));
  norm->to(torch::kFloat64);
  const dist::BatchPlan plan{kDatasetSize, int_arg(args, "batch", 12), 5};
  const auto mine = dist::rank_batch(plan, 0, communicator->rank(), communicator->world_size());
  norm->forward(x.index_select(0, torch::tensor(mine, torch::kLong)));
  dist::average_buffers(*communicator, *norm);
  const std::string out = arg(args, "out", "");
  dist::write_on_rank0(*communicator, out, [&] { write_doubles(out, {norm->running_mean, norm->running_var}, -1); });
  return 0;
}

// Two training-mode BatchNorm steps on each rank's part of the global batch: forward through sync_batch_norm
// (--sync on) or the module's own per-rank forward plus average_buffers (off), backward of each rank's mean of
// y·u over its rows (u: fixed upstream weights). One process runs torch's BatchNorm2d on the whole batch.
// Rank 0 writes, in the global batch's row order, the last step's outputs and input gradients (the
// gradient of the mean over all rows: each rank's x.grad is that of the sum of the ranks' means, so / n),
// then the weight and bias gradients averaged over ranks, the running statistics and num_batches_tracked.
int syncbn(const Args& args) {
  auto communicator = make_communicator(args);
  const bool sync = arg(args, "sync", "on") == "on";
  torch::manual_seed(kDataSeed);
  const auto f64 = torch::TensorOptions(torch::kFloat64);
  const torch::Tensor data = torch::randn({kDatasetSize, 3, 2, 2}, f64) * 2 + 1;
  const torch::Tensor upstream = torch::randn({kDatasetSize, 3, 2, 2}, f64);
  torch::nn::BatchNorm2d norm(torch::nn::BatchNorm2dOptions(3).momentum(0.25));
  norm->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    norm->weight.copy_(torch::randn({3}, f64) * 0.5 + 1);
    norm->bias.copy_(torch::randn({3}, f64));
  }
  const dist::BatchPlan plan{kDatasetSize, int_arg(args, "batch", 12), 5};
  dist::validate(plan, communicator->world_size());
  const int rank = communicator->rank(), world = communicator->world_size();
  const int64_t global = plan.global_batch;
  torch::Tensor outputs, input_grads;
  for (int64_t step = 0; step < 2; ++step) {
    const auto mine = dist::rank_batch(plan, step, rank, world);
    const torch::Tensor index = torch::tensor(mine, torch::kLong);
    const torch::Tensor x = data.index_select(0, index).requires_grad_();
    norm->zero_grad();
    const torch::Tensor y =
        communicator->distributed() && sync ? dist::sync_batch_norm(*communicator, *norm, x) : norm->forward(x);
    (y * upstream.index_select(0, index)).sum().div(static_cast<double>(mine.size())).backward();
    if (!sync) dist::average_buffers(*communicator, *norm);
    // Rank r's k-th row is row r + k·n of the global batch: place it there, zeros elsewhere, and sum.
    outputs = torch::zeros({global, 3, 2, 2}, f64);
    input_grads = torch::zeros({global, 3, 2, 2}, f64);
    outputs.slice(0, rank, global, world).copy_(y.detach());
    input_grads.slice(0, rank, global, world).copy_(x.grad() / world);
    communicator->all_reduce(outputs);
    communicator->all_reduce(input_grads);
  }
  dist::average_tensors(*communicator, {norm->weight.grad(), norm->bias.grad()});
  const std::string out = arg(args, "out", "");
  dist::write_on_rank0(*communicator, out, [&] {
    write_doubles(out,
                  {outputs, input_grads, norm->weight.grad(), norm->bias.grad(), norm->running_mean, norm->running_var,
                   norm->num_batches_tracked},
                  -1);
  });
  return 0;
}

// One timed bench run: fwd+bwd+SGD steps of a wide MLP, gradients synchronised as --sync says.
struct BenchRun {
  double ms_per_step = 0;
  size_t buckets = 0, overlapped = 0;
  int64_t reduced_bytes = 0;  // all-reduced per step: every gradient once, when there is a group
};

BenchRun time_steps(dist::Communicator& communicator, const Args& args, const torch::Device& device) {
  const int64_t width = int_arg(args, "width", 1024), depth = int_arg(args, "depth", 4);
  const int64_t batch = int_arg(args, "batch", 64) / communicator.world_size();
  torch::manual_seed(1);  // the same weights and input in every run
  torch::nn::Sequential model;
  for (int64_t i = 0; i < depth; ++i) {
    model->push_back(torch::nn::Linear(width, width));
    model->push_back(torch::nn::ReLU());
  }
  model->to(device);
  dist::broadcast_state(communicator, *model);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(1e-3));
  dist::GradientSyncOptions sync_options;
  sync_options.overlap = arg(args, "sync", "overlap") == "overlap";
  sync_options.bucket_bytes = int_arg(args, "bucket-bytes", 4 << 20);
  dist::GradientSync sync(communicator, model->parameters(), sync_options);
  const torch::Tensor x = torch::randn({batch, width}).to(device);
  const auto wait_for_device = [&] {
    if (device.is_cuda()) torch::zeros({1}, torch::TensorOptions().device(device)).cpu();
  };
  const int64_t steps = int_arg(args, "steps", 20);
  BenchRun run;
  for (int64_t step = -2; step < steps; ++step) {  // two warm-up steps
    wait_for_device();
    communicator.barrier("bench step");
    const auto start = std::chrono::steady_clock::now();
    optimizer.zero_grad();
    sync.prepare();
    model->forward(x).square().mean().backward();
    sync.finish();
    optimizer.step();
    wait_for_device();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (step >= 0) run.ms_per_step += ms / steps;
  }
  run.buckets = sync.bucket_count();
  run.overlapped = sync.launched_during_backward();
  if (communicator.distributed())
    for (const torch::Tensor& p : model->parameters()) run.reduced_bytes += p.numel() * p.element_size();
  return run;
}

void print_run(const dist::Communicator& communicator, const torch::Device& device, const Args& args,
               const BenchRun& run) {
  std::cout << fmt::format(
      "{} on {}, world {} sync {} buckets {} launched-during-backward {} all-reduce {:.1f} "
      "MB/step: {:.3f} ms/step\n",
      communicator.backend(), device.str(), communicator.world_size(), arg(args, "sync", "overlap"), run.buckets,
      run.overlapped, run.reduced_bytes / 1e6, run.ms_per_step);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The same model and steps without a process group and with a group of one process, alternating which goes
// first; the medians' difference is what the collective path costs when there is nothing to exchange.
int bench_group_of_one(const Args& args) {
  if (const int world = dist::read_launch_env().world_size; world != 1)
    latentlab::fail_usage("--force-group", "bench compares one process with and without a group, not WORLD_SIZE={}",
                          world);
  auto group = make_communicator(args);
  dist::Communicator none;
  const torch::Device device(arg(args, "device", group->device()));
  const int64_t rounds = int_arg(args, "rounds", 3);
  if (rounds < 1) latentlab::fail_usage("--rounds", "{} is not a positive count", rounds);
  std::vector<double> without, with;
  BenchRun grouped;
  for (int64_t round = 0; round < rounds; ++round)
    for (int k = 0; k < 2; ++k) {
      const bool use_group = (k + round) % 2 == 1;
      const BenchRun run = time_steps(use_group ? *group : none, args, device);
      print_run(use_group ? *group : none, device, args, run);
      (use_group ? with : without).push_back(run.ms_per_step);
      if (use_group) grouped = run;
    }
  const double a = median(without), b = median(with);
  std::cout << fmt::format(
      "group of one ({}): {:.3f} vs {:.3f} ms/step without a group (medians of {} rounds): "
      "{:+.3f} ms/step, {:.3f}x; all-reduce {:.1f} MB/step in {} buckets\n",
      group->backend(), b, a, rounds, b - a, b / a, grouped.reduced_bytes / 1e6, grouped.buckets);
  return 0;
}

int bench(const Args& args) {
  if (on_off_arg(args, "force-group")) return bench_group_of_one(args);
  auto communicator = make_communicator(args);
  const torch::Device device(arg(args, "device", communicator->device()));
  const BenchRun run = time_steps(*communicator, args, device);
  if (communicator->is_main()) print_run(*communicator, device, args, run);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: distributed_driver train|batchnorm|syncbn|bench [--key value]...\n";
    return 2;
  }
  // Every option any mode reads: a misspelt one is an error, not silently ignored.
  static const std::set<std::string> known{"backend",    "batch",      "bucket-bytes", "checkpoint", "checkpoint-step",
                                           "depth",      "device",     "force-group",  "kill-rank",  "kill-step",
                                           "model",      "optimizer",  "out",          "resume",     "rounds",
                                           "stall-rank", "stall-step", "stall-marker", "steps",      "sync",
                                           "timeout",    "width"};
  Args args;
  const std::string mode = argv[1];
  for (int i = 2; i < argc; i += 2) {  // "--key value"
    const std::string key = argv[i];
    const bool unknown = key.rfind("--", 0) != 0 || !known.count(key.substr(2));
    if (unknown || i + 1 == argc) {
      std::cerr << "distributed_driver " << mode << ": error: " << key
                << (unknown ? ": unknown option\n" : ": needs a value\n");
      return 2;
    }
    args[key.substr(2)] = argv[i + 1];
  }
  try {
    if (mode == "train") return train(args);
    if (mode == "batchnorm") return batchnorm(args);
    if (mode == "syncbn") return syncbn(args);
    if (mode == "bench") return bench(args);
    std::cerr << "distributed_driver: error: unknown mode '" << mode << "'\n";
    return 2;
  } catch (const latentlab::UserError& e) {
    std::cerr << "distributed_driver " << mode << ": error: " << e.what() << "\n";
    return e.exit_code();
  }
}
