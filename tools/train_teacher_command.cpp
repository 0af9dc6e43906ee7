// latentlab train-teacher: trains the procedural teacher (models/teacher_procedural.h) on the procedural
// dataset's coarse factors only (default shape and hue) with train/teacher_trainer.h (checkpoints, resume,
// data parallelism when launched with WORLD_SIZE > 1), then measures what it gives away: a linear probe of
// each fine factor on its tokens against the same probe on pixels (docs/teachers.md). Writes
// OUT/teacher.safetensors (weights + config; `teacher = procedural:OUT/teacher.safetensors`),
// OUT/train-teacher.json, OUT/log.jsonl and OUT/checkpoints/; rank 0 alone evaluates and writes.
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/options.h"
#include "core/progress.h"
#include "datasets/dataset_spec.h"
#include "io/results_json.h"
#include "metrics/probes/linear_probe.h"
#include "models/teacher_procedural.h"
#include "models/teacher_procedural_train.h"
#include "train/teacher_trainer.h"
#include "train_command_setup.h"

namespace latentlab::tools {
namespace {

struct TrainTeacherOptions {
  std::string out;
  std::string dataset = "shapes:res=64,n=8192,seed=0";
  std::string eval_dataset = "shapes:res=64,n=2048,seed=1";
  std::string factors = "shape,hue";
  std::string probe_factors = "rotation,texture,x,y,scale";
  int64_t probe_grid = 4;
  double probe_c = 1.0;
  models::ProceduralTeacherConfig model;
  std::string dtype = "float32";
  train::TeacherTrainOptions train;

  void register_options(OptionGroup& data, OptionGroup& net, OptionGroup& fit, OptionGroup& probe) {
    data.add("out", &out,
             "Output directory: teacher.safetensors, train-teacher.json, log.jsonl, checkpoints/ (created if missing)");
    data.add("dataset", &dataset, "Training images: a dataset spec with factors (shapes[:seed=S,n=N,res=R])");
    data.add("eval-dataset", &eval_dataset, "Held-out images for the accuracies and the probes (same factors)");
    data.add("factors", &factors, "The factors taught, comma-separated (coarse ones only: shape, hue, background)");
    net.add("channels", &model.channels, "Channels of the first level, doubled at every level");
    net.add("levels", &model.levels, "Stride-2 convolutions: the token grid is the resolution / 2^levels");
    net.add("blocks", &model.blocks, "Stride-1 convolutions after the last level (more context per token)");
    net.add("width", &model.width, "Token width D");
    net.add("groups", &model.groups, "GroupNorm groups");
    net.add_choice("dtype", &dtype, {"float32", "float64"},
                   "Training precision (float64 for exactness checks; the weights are saved as float32)");
    train.register_options(fit);
    probe.add("probe-factors", &probe_factors,
              "Fine factors to probe on tokens and on pixels, comma-separated (empty: none)");
    probe.add("probe-grid", &probe_grid, "Token grid side the probes see (tokens pooled to it, flattened)");
    probe.add("probe-c", &probe_c, "Inverse L2 strength C of the logistic probes (fixed; standardised features)");
  }
};

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

// Images (N, 3, r, r) uint8 and the value index of every factor (by dataset factor order), read in parallel.
struct LoadedData {
  at::Tensor images;
  at::Tensor factors;  // (N, F) int64
  std::vector<datasets::Factor> names;
  std::string spec;
};

LoadedData load_dataset(const std::string& spec, const std::string& option) {
  const auto source = datasets::open_dataset(spec);
  const auto& info = source->info();
  if (info.attributes.empty()) fail_usage(option, "'{}' has no factors to teach or probe", spec);
  if (info.size < 2) fail_usage(option, "'{}' has {} images; need at least 2", spec, info.size);
  const auto first = source->get(0);
  const int64_t r = first.image.height;
  if (first.image.width != r)
    fail_usage(option, "'{}' images are {}×{}; the teacher needs square ones", spec, first.image.height,
               first.image.width);
  LoadedData out{at::empty({info.size, r, r, 3}, at::kByte),
                 at::empty({info.size, int64_t(info.attributes.size())}, at::kLong), info.attributes, info.spec};
  ProgressBar bar("read " + info.spec, info.size, "img");
  at::parallel_for(0, info.size, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto example = source->get(i);
      if (example.image.height != r || example.image.width != r)
        fail(spec, "image {} is {}×{}, not {}×{}", i, example.image.height, example.image.width, r, r);
      std::memcpy(out.images[i].data_ptr<uint8_t>(), example.image.pixels.data(), example.image.pixels.size());
      for (size_t f = 0; f < example.attributes.size(); ++f) out.factors[i][f] = int64_t{example.attributes[f]};
    }
  });
  bar.advance(info.size);
  out.images = out.images.permute({0, 3, 1, 2}).contiguous();
  return out;
}

int64_t factor_index(const LoadedData& data, const std::string& name, const std::string& option) {
  std::vector<std::string> known;
  for (size_t f = 0; f < data.names.size(); ++f) {
    if (data.names[f].name == name) return static_cast<int64_t>(f);
    known.push_back(data.names[f].name);
  }
  fail_usage(option, "'{}' is not a factor of {} (factors: {})", name, data.spec, fmt::join(known, ", "));
}

double probe_accuracy(const at::Tensor& features, const at::Tensor& labels, const TrainTeacherOptions& o,
                      uint64_t seed) {
  const int64_t half = features.size(0) / 2;
  metrics::ProbeOptions options;
  options.fixed_c = o.probe_c;
  options.seed = seed;
  options.top_k = {1};
  const auto flat = features.flatten(1).to(at::kDouble);
  return metrics::fit_class_probe(flat.slice(0, 0, half), labels.slice(0, 0, half), flat.slice(0, half),
                                  labels.slice(0, half), options)
      .test.accuracy;
}

}  // namespace

int train_teacher_main(int argc, const char* const* argv) {
  TrainTeacherOptions o;
  TrainCommandSetup setup;
  OptionGroup data_group("Data"), net_group("Network"), fit_group("Training"), probe_group("Fine-factor probes");
  o.register_options(data_group, net_group, fit_group, probe_group);
  setup.register_options(nullptr);
  CommandParser parser({"train-teacher",
                        "Trains the procedural teacher, a small conv network standing in for a foundation model, "
                        "to classify the coarse factors only, and probes what its tokens give away about the fine "
                        "ones.",
                        "latentlab train-teacher [--config teacher.ini] [options] --out DIR",
                        "latentlab train-teacher --config configs/demo/teacher.ini --out runs/teacher",
                        "latentlab datasets make, docs/teachers.md"});
  for (OptionGroup* g : {&data_group, &net_group, &fit_group, &probe_group}) parser.add(*g);
  setup.add_groups(parser);
  if (!parser.parse(argc, argv)) return 0;
  if (o.out.empty()) fail_usage("--out", "give the output directory");
  o.train.validate();
  if (o.probe_grid < 1) fail_usage("--probe-grid", "must be >= 1, got {}", o.probe_grid);
  if (!(o.probe_c > 0)) fail_usage("--probe-c", "must be positive, got {}", o.probe_c);
  const auto taught = split_commas(o.factors);
  if (taught.empty()) fail_usage("--factors", "name at least one factor to teach");
  const auto probed = split_commas(o.probe_factors);
  for (const auto& name : probed)
    for (const auto& t : taught)
      if (name == t) fail_usage("--probe-factors", "'{}' is taught (--factors); probe fine factors only", name);

  const Runtime runtime = setup.start();  // seeds the initialisation
  const auto& communicator = setup.communicator;
  const auto read_start = std::chrono::steady_clock::now();
  const at::Device device(communicator->distributed() ? communicator->device() : runtime.device);
  const LoadedData train_data = load_dataset(o.dataset, "--dataset");
  const LoadedData eval_data = load_dataset(o.eval_dataset, "--eval-dataset");
  if (eval_data.images.size(2) != train_data.images.size(2))
    fail_usage("--eval-dataset", "images are {0}×{0}, the training images {1}×{1}", eval_data.images.size(2),
               train_data.images.size(2));

  o.model.resolution = train_data.images.size(2);
  o.model.factors = taught;
  o.model.classes.clear();
  o.model.dataset = train_data.spec;
  models::TeacherTrainingData train_set{train_data.images, {}}, eval_set{eval_data.images, {}};
  for (const auto& name : taught) {
    const int64_t f = factor_index(train_data, name, "--factors"), g = factor_index(eval_data, name, "--factors");
    o.model.classes.push_back(static_cast<int64_t>(train_data.names[f].values.size()));
    train_set.targets.push_back(train_data.factors.select(1, f).contiguous());
    eval_set.targets.push_back(eval_data.factors.select(1, g).contiguous());
  }
  o.model.validate("--config");
  o.train.seed = static_cast<uint64_t>(runtime.seed);
  o.train.out = o.out;

  models::ProceduralTeacherNet net(o.model);
  if (o.dtype == "float64") net->to(at::kDouble);
  const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
  train::TeacherTrainer trainer(net, train_set, o.train, device, *communicator);
  const int64_t resumed = trainer.resume();
  train::TeacherTrainSummary summary;
  {
    ProgressBar bar("train-teacher", o.train.steps - resumed, "step");
    summary = trainer.run(0, [&](int64_t, double) { bar.advance(); });
  }
  if (!communicator->is_main()) return 0;  // rank 0 evaluates and writes the results
  const std::vector<double>& losses = summary.losses;
  const double train_seconds = summary.seconds;
  const auto train_accuracy = models::head_accuracies(net, train_set, 256, device);
  const auto eval_accuracy = models::head_accuracies(net, eval_set, 256, device);

  nlohmann::json accuracies = nlohmann::json::object(), probes = nlohmann::json::object();
  for (size_t h = 0; h < taught.size(); ++h)
    accuracies[taught[h]] = {{"train", train_accuracy[h]},
                             {"eval", eval_accuracy[h]},
                             {"chance", 1.0 / static_cast<double>(o.model.classes[h])}};
  const auto probe_start = std::chrono::steady_clock::now();
  if (!probed.empty()) {
    const std::vector<int64_t> grid{o.probe_grid, o.probe_grid}, pixel_grid{4 * o.probe_grid, 4 * o.probe_grid};
    const at::Tensor tokens =
        at::adaptive_avg_pool2d(models::teacher_token_maps(net, eval_data.images, 256, device), grid);
    const at::Tensor pixels = at::adaptive_avg_pool2d(models::images_to_signed(eval_data.images), pixel_grid);
    for (const auto& name : probed) {
      const int64_t f = factor_index(eval_data, name, "--probe-factors");
      const at::Tensor labels = eval_data.factors.select(1, f).contiguous();
      const double t = probe_accuracy(tokens, labels, o, runtime.seed),
                   p = probe_accuracy(pixels, labels, o, runtime.seed);
      probes[name] = {{"teacher", t},
                      {"pixels", p},
                      {"gap", t - p},
                      {"chance", 1.0 / static_cast<double>(eval_data.names[f].values.size())}};
    }
  }

  const double probe_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - probe_start).count();
  std::filesystem::create_directories(o.out);
  const std::string weights = o.out + "/teacher.safetensors";
  models::save_procedural_teacher(weights, net, {{"latentlab.accuracies", accuracies.dump()}});
  const nlohmann::json protocol = {
      {"teacher", nlohmann::json::parse(o.model.to_json_string())},
      {"train",
       {{"steps", o.train.steps},
        {"batch_size", o.train.batch_size},
        {"lr", o.train.lr},
        {"weight_decay", o.train.weight_decay},
        {"warmup", o.train.schedule.warmup_steps},
        {"lr_schedule", o.train.schedule.kind},
        {"min_lr_ratio", o.train.schedule.min_ratio},
        {"grad_clip", o.train.grad_clip},
        {"world_size", communicator->world_size()},
        {"dtype", o.dtype},
        {"batch_order", "distributed::BatchPlan (seeded epoch permutations, drop last)"},
        {"optimizer", "adamw"},
        {"loss", "sum of cross-entropies"},
        {"seed", runtime.seed}}},
      {"eval_dataset", eval_data.spec},
      {"probes",
       {{"grid", o.probe_grid},
        {"c", o.probe_c},
        {"split", "eval set, first half fit, second half scored"},
        {"pixels", fmt::format("[-1,1] pixels area-pooled to {0}x{0}", 4 * o.probe_grid)},
        {"tokens", fmt::format("tokens adaptive-average-pooled to {0}x{0}", o.probe_grid)}}}};
  const double window = static_cast<double>(std::min<size_t>(20, losses.size()));
  double first = 0, last = 0;
  for (size_t i = 0; i < window; ++i) first += losses[i] / window, last += losses[losses.size() - 1 - i] / window;
  const nlohmann::json results = {{"accuracy", accuracies},
                                  {"fine_factor_probes", probes},
                                  {"loss_first", first},
                                  {"loss_last", last},
                                  {"train_seconds", train_seconds},
                                  {"read_seconds", read_seconds},
                                  {"probe_seconds", probe_seconds},
                                  {"resumed_from_step", summary.start_step},
                                  {"steps_per_second", (summary.end_step - summary.start_step) / train_seconds},
                                  {"weights", weights},
                                  {"teacher_spec", "procedural:" + weights}};
  const std::string results_path = o.out + "/train-teacher.json";
  io::write_results(results_path,
                    io::make_results({"train-teacher", runtime.device, runtime.threads, parser.resolved()}, protocol,
                                     {io::describe_input("weights", weights)}, results));
  std::cout << fmt::format(
      "train-teacher: {} steps in {:.1f} s (data {:.1f} s, probes {:.1f} s), loss {:.3f} -> {:.3f}\n",
      summary.end_step - summary.start_step, train_seconds, read_seconds, probe_seconds, first, last);
  for (size_t h = 0; h < taught.size(); ++h)
    std::cout << fmt::format("  taught {:<10} eval accuracy {:.3f} (chance {:.3f})\n", taught[h], eval_accuracy[h],
                             1.0 / static_cast<double>(o.model.classes[h]));
  for (const auto& [name, p] : probes.items())
    std::cout << fmt::format("  probe  {:<10} tokens {:.3f}  pixels {:.3f}  (chance {:.3f})\n", name,
                             p["teacher"].get<double>(), p["pixels"].get<double>(), p["chance"].get<double>());
  std::cout << fmt::format("wrote {} and {}\n", weights, results_path);
  return 0;
}

}  // namespace latentlab::tools
