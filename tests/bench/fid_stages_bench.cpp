// Where the time of `latentlab fid FOLDER` goes (issue #5), stage by stage in one process, on a folder of
// procedural PNGs (`datasets make shapes`, written once, untimed) and seeded random Inception weights with random
// batch-norm statistics (so that folding them matters):
//   decode      the datasets pipeline (PNG decode, THREADS workers) -> uint8 (n, 3, H, W) batches
//   input       NHWC, TF-1 bilinear resize to 299, (x - 128)/128, channels-last: as ATen tensor ops
//               (prepare_inception_input) and in one pass (prepare_inception_input_channels_last, the extractor's)
//   network     the FID Inception forward, several ways on the same inputs:
//                 nchw        as loaded, NCHW (PyTorch eager, the Python peer's layout)
//                 nhwc        as loaded, channels-last (the extractor until now)
//                 nhwc+fold   channels-last with every batch norm folded into its convolution (the extractor now)
//                 nhwc+fold/C the same in chunks of C images per forward (cache behaviour), C = 4, 8 and 16
//   moments     float64 running mean and covariance of pool3 (stats::RunningMoments, what FID accumulates)
//   frechet     the Fréchet distance against a full-rank random (mu, sigma)
// Prints seconds and images/s per stage, the ratio of each network variant against `nhwc` measured in the same
// run (> 1: faster), and each variant's pool3 max |diff| against `nchw` (float32 rounding only).
// Run: build/bin/bench_fid_stages [images=50] [threads=all cores] [batch=50] [res=64]
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include "core/allocator.h"
#include "core/compat.h"
#include "core/runtime.h"
#include "datasets/dataset_spec.h"
#include "datasets/pipeline.h"
#include "metrics/generative/frechet.h"
#include "models/inception_fid.h"
#include "models/inception_fid_input.h"
#include "stats/running_moments.h"
#include "support/inception_weights.h"
#include "support/test_support.h"

using namespace latentlab;

namespace {

double seconds(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(const char* stage, double s, int64_t images) {
  std::printf("  %-16s %8.3f s  %8.2f images/s\n", stage, s, images / s);
}

void to_channels_last(models::InceptionFID& model) {
  c10::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t count = argc > 1 ? std::stoll(argv[1]) : 50;
  const int threads = argc > 2 ? std::stoi(argv[2]) : available_cores();
  const int batch = argc > 3 ? std::stoi(argv[3]) : 50;
  const int res = argc > 4 ? std::stoi(argv[4]) : 64;
  at::set_num_threads(threads);

  testing::ScratchDir dir;
  const auto made = testing::run_command(std::string(LATENTLAB_BINARY) + " datasets make shapes --quiet --n " +
                                         std::to_string(count) + " --res " + std::to_string(res) + " --seed 1 --out " +
                                         dir.file("images"));
  if (made.exit_code != 0) {
    std::fprintf(stderr, "datasets make shapes failed:\n%s", made.err.c_str());
    return 1;
  }
  at::manual_seed(0);
  models::InceptionFID plain, nhwc, folded;
  testing::randomize_inception_batch_norms(plain);
  {
    c10::NoGradGuard no_grad;
    for (auto* copy : {&nhwc, &folded}) {
      const auto from = plain.parameters(), to = copy->parameters();
      for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
      const auto from_b = plain.buffers(), to_b = copy->buffers();
      for (size_t i = 0; i < from_b.size(); ++i) to_b[i].copy_(from_b[i]);
    }
  }
  for (auto* model : {&plain, &nhwc, &folded}) model->eval();
  to_channels_last(nhwc);
  to_channels_last(folded);
  folded.fold_batch_norms(true);

  std::printf("FID stages, %lld PNGs %dx%d (procedural shapes), batch %d, %d threads, LibTorch %s, mkldnn %s\n",
              static_cast<long long>(count), res, res, batch, threads, compat::torch_version().c_str(),
              at::globalContext().userEnabledMkldnn() ? "on" : "off");

  std::vector<at::Tensor> decoded, inputs;
  const auto source = datasets::open_dataset("images:" + dir.file("images"));
  datasets::PipelineOptions po;
  po.batch_size = batch;
  po.threads = threads;
  report("decode", seconds([&] {
           datasets::Pipeline pipeline(*source, po);
           while (auto b = pipeline.next()) decoded.push_back(b->images);
         }),
         count);
  c10::InferenceMode inference;
  std::vector<at::Tensor> tensor_ops;
  report("input", seconds([&] {
           for (const auto& images : decoded)
             tensor_ops.push_back(models::prepare_inception_input(images.permute({0, 2, 3, 1}).contiguous(),
                                                                  models::InceptionResize::TF1Bilinear)
                                      .contiguous(at::MemoryFormat::ChannelsLast));
         }),
         count);
  report("input 1-pass", seconds([&] {
           for (const auto& images : decoded)
             inputs.push_back(models::prepare_inception_input_channels_last(images.permute({0, 2, 3, 1}),
                                                                            models::InceptionResize::TF1Bilinear));
         }),
         count);
  bool same = true;
  for (size_t i = 0; i < inputs.size(); ++i) same = same && inputs[i].equal(tensor_ops[i]);
  std::printf("  input 1-pass %s the tensor-op input\n", same ? "is bit-identical to" : "DIFFERS from");

  struct Variant {
    const char* name;
    models::InceptionFID* model;
    enum Layout { Nchw, Nhwc } layout;
    int64_t chunk;  // 0 = the whole batch
  };
  const std::vector<Variant> variants = {
      {"nchw", &plain, Variant::Nchw, 0},         {"nhwc", &nhwc, Variant::Nhwc, 0},
      {"nhwc+fold", &folded, Variant::Nhwc, 0},   {"nhwc+fold/4", &folded, Variant::Nhwc, 4},
      {"nhwc+fold/8", &folded, Variant::Nhwc, 8}, {"nhwc+fold/16", &folded, Variant::Nhwc, 16}};
  std::vector<at::Tensor> pool3(variants.size());
  std::vector<double> times(variants.size());
  for (size_t v = 0; v < variants.size(); ++v) {
    const auto& variant = variants[v];
    const auto arrange = [&](const at::Tensor& x) {
      return variant.layout == Variant::Nhwc ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.contiguous();
    };
    std::vector<at::Tensor> parts;
    try {  // a variant's failure is reported, not fatal
      // Warm-up once per distinct chunk size: oneDNN creates (JIT-compiles) its primitives per input shape.
      std::set<int64_t> sizes;
      for (const auto& x : inputs) {
        const int64_t n = x.size(0), chunk = variant.chunk > 0 ? variant.chunk : n;
        for (int64_t start = 0; start < n; start += chunk) sizes.insert(std::min(chunk, n - start));
      }
      for (const int64_t size : sizes) variant.model->forward(arrange(inputs.front().narrow(0, 0, size)));
      times[v] = seconds([&] {
        for (const auto& x : inputs) {
          const int64_t n = x.size(0), chunk = variant.chunk > 0 ? variant.chunk : n;
          for (int64_t start = 0; start < n; start += chunk)
            parts.push_back(variant.model->forward(arrange(x.narrow(0, start, std::min(chunk, n - start)))).pool3);
        }
      });
    } catch (const std::exception& e) {
      std::printf("  %-16s failed: %.300s\n", variant.name, e.what());
      continue;
    }
    pool3[v] = at::cat(parts);
    report(variant.name, times[v], count);
  }

  stats::RunningMoments moments(models::kInceptionPool3Dim, true);
  report("moments", seconds([&] {
           for (int64_t start = 0; start < count; start += batch)
             moments.update(pool3[2].narrow(0, start, std::min<int64_t>(batch, count - start)));
         }),
         count);
  at::manual_seed(3);
  const auto b = at::randn({models::kInceptionPool3Dim, 2 * models::kInceptionPool3Dim}, at::kDouble) * 0.3;
  const auto product = b.mm(b.t()) / (2 * models::kInceptionPool3Dim);
  const auto sigma = (product + product.t()) / 2;
  const auto mu = at::randn({models::kInceptionPool3Dim}, at::kDouble) * 0.1;
  double fid = 0;
  const double frechet =
      seconds([&] { fid = metrics::frechet_distance(moments.mean(), moments.covariance(), mu, sigma); });
  std::printf("  %-16s %8.3f s  (FID %.6f)\n", "frechet", frechet, fid);

  std::printf("  network variant  ratio vs nhwc  pool3 max |diff| vs nchw\n");
  for (size_t v = 0; v < variants.size(); ++v)
    if (pool3[v].defined())
      std::printf("  %-16s %8.3f       %.3g\n", variants[v].name, times[1] / times[v],
                  (pool3[v] - pool3[0]).abs().max().item<double>());
  return 0;
}
