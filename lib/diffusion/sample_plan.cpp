#include "diffusion/sample_plan.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"

namespace latentlab::diffusion {
namespace {

// splitmix64 (Steele, Lea & Flood 2014): a bijective mixer, so distinct (seed, index) pairs give
// well-separated generator seeds.
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

const std::vector<std::string>& LabelOptions::modes() {
  static const std::vector<std::string> list = {"uniform", "balanced"};
  return list;
}

uint64_t sample_seed(uint64_t seed, int64_t index) {
  return splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(index));
}

SampleDraws draw_samples(int64_t first, int64_t count, const std::vector<int64_t>& shape, const LabelOptions& labels,
                         uint64_t seed) {
  LATENTLAB_ASSERT(labels.num_classes >= 1, "num_classes {}", labels.num_classes);
  LATENTLAB_ASSERT(labels.mode == "uniform" || labels.mode == "balanced", "label mode {}", labels.mode);
  SampleDraws d;
  std::vector<at::Tensor> noise;
  std::vector<int64_t> label_values;
  for (int64_t k = first; k < first + count; ++k) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(sample_seed(seed, k));
    label_values.push_back(labels.mode == "uniform" ? at::randint(labels.num_classes, {1}, g, at::kLong).item<int64_t>()
                                                    : k % labels.num_classes);
    noise.push_back(at::randn(shape, g, at::kDouble));
    d.generators.push_back(g);
  }
  d.noise = count > 0 ? at::stack(noise) : at::empty({0}, at::kDouble);
  d.labels = at::tensor(label_values, at::kLong);
  return d;
}

}  // namespace latentlab::diffusion
