// SiT with REPA projectors (lib/models/sit*.cpp): REPA state-dict names, built parameter counts against the
// closed form, DiT's zero initialisation, the sin-cos and timestep features against their formulas, label
// dropout, guidance against explicit conditional/unconditional passes, config inference, safetensors round
// trips and the loader's and forward's errors. Numerical agreement with an independent PyTorch SiT on REPA
// checkpoints is checked in tests/reference/models/sit_reference_test.cpp.
#include "models/sit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>

#include "io/safetensors.h"
#include "io/sha256.h"
#include "models/sit_layers.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::problem_of;
using testing::ScratchDir;

SiT tiny_sit(const std::string& preset = "SiT-tiny/1") {
  at::manual_seed(3);
  return SiT(SiTConfig::preset_config(preset));
}

// Every parameter random: a freshly initialised SiT predicts exactly 0 and would test nothing.
SiT randomised(const std::string& preset = "SiT-tiny/1") {
  SiT model = tiny_sit(preset);
  at::NoGradGuard no_grad;
  for (auto& p : model.module().parameters()) p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(p.size(-1))));
  return model;
}

struct Batch {
  at::Tensor x, t, y;
};

Batch batch(const SiTConfig& c, int64_t n, uint64_t seed = 11) {
  at::manual_seed(seed);
  return {at::randn({n, c.in_channels, c.input_size, c.input_size}), at::rand({n}),
          at::randint(0, c.num_classes, {n}, at::TensorOptions().dtype(at::kLong))};
}

TEST(SiTTest, HasRepaStateDictNamesAndTheClosedFormCount) {
  for (const char* preset : {"SiT-tiny/1", "SiT-tiny/2", "SiT-S/2"}) {
    SCOPED_TRACE(preset);
    const SiT model = tiny_sit(preset);
    EXPECT_EQ(model.config().preset, preset);
    EXPECT_EQ(model.parameter_count(), model.config().parameter_count());
    EXPECT_EQ(model.parameter_count(false), model.config().parameter_count(false));
  }
  const SiT model = tiny_sit();
  std::set<std::string> names;
  for (const auto& [name, array] : model.state_arrays()) names.insert(name);
  for (const char* name :
       {"pos_embed", "x_embedder.proj.weight", "x_embedder.proj.bias", "t_embedder.mlp.0.weight",
        "t_embedder.mlp.2.bias", "y_embedder.embedding_table.weight", "blocks.0.attn.qkv.weight",
        "blocks.0.attn.qkv.bias", "blocks.1.attn.proj.weight", "blocks.1.mlp.fc1.weight", "blocks.0.mlp.fc2.bias",
        "blocks.1.adaLN_modulation.1.weight", "final_layer.linear.weight", "final_layer.adaLN_modulation.1.bias",
        "projectors.0.0.weight", "projectors.0.2.bias", "projectors.0.4.weight"})
    EXPECT_TRUE(names.count(name)) << name;
  EXPECT_EQ(names.size(), 1u + 2u + 4u + 1u + 2u * 10u + 4u + 6u);  // pos, x, t, y, blocks, final, projector
  auto params = model.module().named_parameters();
  EXPECT_EQ(params["y_embedder.embedding_table.weight"].sizes(), at::IntArrayRef({11, 64}));  // + null class
  EXPECT_EQ(params["x_embedder.proj.weight"].sizes(), at::IntArrayRef({64, 4, 1, 1}));
  EXPECT_EQ(params["projectors.0.4.weight"].sizes(), at::IntArrayRef({48, 128}));
}

TEST(SiTTest, ZeroInitialisedPredictionIsExactlyZeroAndTrainable) {
  SiT model = tiny_sit("SiT-tiny/2");
  const Batch b = batch(model.config(), 3);
  SiT::Output out = model.forward(b.x, b.t, b.y);
  EXPECT_EQ(out.prediction.sizes(), b.x.sizes());
  EXPECT_EQ(out.prediction.abs().max().item<float>(), 0.0f);
  ASSERT_EQ(out.projections.size(), 1u);
  EXPECT_EQ(out.projections[0].sizes(), at::IntArrayRef({3, 64, 48}));  // (16/2)² tokens
  EXPECT_GT(out.projections[0].abs().max().item<float>(), 0.0f);        // the projector is not zeroed
  // adaLN-Zero: the first step's gradient reaches the final linear layer, nothing before it.
  (out.prediction - b.x).pow(2).mean().backward();
  auto params = model.module().named_parameters();
  EXPECT_GT(params["final_layer.linear.weight"].grad().abs().max().item<float>(), 0.0f);
  EXPECT_EQ(params["blocks.0.attn.qkv.weight"].grad().abs().max().item<float>(), 0.0f);
}

TEST(SiTTest, PositionAndTimestepFeaturesFollowTheirFormulas) {
  // dim 8, grid 3: ω = (1, 1/100); token (row 1, column 2) = 1·3 + 2.
  const at::Tensor pos = sincos_position_embedding(8, 3);
  ASSERT_EQ(pos.sizes(), at::IntArrayRef({9, 8}));
  const double j = 2, r = 1;
  const double want[8] = {std::sin(j), std::sin(j / 100), std::cos(j), std::cos(j / 100),
                          std::sin(r), std::sin(r / 100), std::cos(r), std::cos(r / 100)};
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(pos[5][k].item<double>(), want[k], 1e-7) << k;
  // dim 6: f = exp(−ln(10⁴)·k/3), k < 3; [cos(t·f), sin(t·f)].
  const at::Tensor f = timestep_frequencies(at::tensor({0.0, 0.5}), 6);
  for (int k = 0; k < 3; ++k) {
    const double freq = std::exp(-std::log(10000.0) * k / 3.0);
    EXPECT_EQ(f[0][k].item<float>(), 1.0f);
    EXPECT_EQ(f[0][3 + k].item<float>(), 0.0f);
    EXPECT_NEAR(f[1][k].item<double>(), std::cos(0.5 * freq), 1e-6);
    EXPECT_NEAR(f[1][3 + k].item<double>(), std::sin(0.5 * freq), 1e-6);
  }
  EXPECT_EQ(timestep_frequencies(at::tensor({0.5}), 7).size(1), 7);  // odd: a zero column appended
}

TEST(SiTTest, LabelDropoutIsSeededAndForcedDropsWin) {
  const SiT model = tiny_sit();
  const at::Tensor labels = at::randint(0, 10, {20000}, at::TensorOptions().dtype(at::kLong));
  SiTForwardOptions options;
  EXPECT_TRUE(at::equal(model.drop_labels(labels, options), labels));  // no generator: no dropout
  auto dropped = [&](uint64_t seed) {
    options.label_dropout = at::make_generator<at::CPUGeneratorImpl>(seed);
    return model.drop_labels(labels, options);
  };
  const at::Tensor a = dropped(1), b = dropped(1), c = dropped(2);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_FALSE(at::equal(a, c));
  // Dropped labels become the null class; the rate is 0.1 within 5 binomial standard deviations.
  const at::Tensor changed = a != labels;
  EXPECT_TRUE(at::equal(a.masked_select(changed), at::full({changed.sum().item<int64_t>()}, 10, a.options())));
  const double rate = (a == 10).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(rate, 0.1, 5 * std::sqrt(0.1 * 0.9 / 20000));
  options.force_drop = at::zeros({20000}, at::kBool);
  options.force_drop[0] = true;
  const at::Tensor forced = model.drop_labels(labels, options);
  EXPECT_EQ(forced[0].item<int64_t>(), 10);
  EXPECT_TRUE(at::equal(forced.narrow(0, 1, 19999), labels.narrow(0, 1, 19999)));
}

TEST(SiTTest, GuidanceMatchesExplicitPassesInsideItsInterval) {
  at::NoGradGuard no_grad;
  const SiT model = randomised();
  Batch b = batch(model.config(), 3);
  b.t = at::tensor({0.1f, 0.5f, 0.9f});
  SiTForwardOptions plain, unconditional;
  unconditional.force_drop = at::ones({3}, at::kBool);
  const at::Tensor cond = model.forward(b.x, b.t, b.y, plain).prediction;
  const at::Tensor uncond = model.forward(b.x, b.t, b.y, unconditional).prediction;
  EXPECT_FALSE(at::allclose(cond, uncond));
  EXPECT_TRUE(at::equal(model.forward_with_guidance(b.x, b.t, b.y, {1.0, 0.0, 1.0}), cond));
  EXPECT_TRUE(at::equal(model.forward_with_guidance(b.x, b.t, b.y, {3.0, 0.95, 1.0}), cond));  // none inside
  const at::Tensor guided = model.forward_with_guidance(b.x, b.t, b.y, {3.0, 0.3, 0.95});
  EXPECT_TRUE(at::allclose(guided[0], cond[0], 0, 0));
  for (int i : {1, 2}) EXPECT_TRUE(at::allclose(guided[i], uncond[i] + 3.0 * (cond[i] - uncond[i]), 1e-5, 1e-5));
}

TEST(SiTTest, ConfigIsInferredFromTheWeights) {
  for (const char* preset : {"SiT-tiny/1", "SiT-tiny/2"}) {
    const SiT model = tiny_sit(preset);
    const SiTConfig inferred = SiTConfig::from_weights(model.state_arrays(), 0, 0, "test");
    EXPECT_TRUE(same_architecture(inferred, model.config())) << inferred.to_json_string();
  }
  io::NamedArrays odd = tiny_sit().state_arrays();
  for (auto& [name, array] : odd)
    if (name == "x_embedder.proj.weight") array.shape[0] = 96;  // shapes only: no data is read
  EXPECT_CONTAINS(problem_of([&] { SiTConfig::from_weights(odd, 8, 0, "w"); }, "w"),
                  "match no SiT size (S, B, L, XL, tiny)");
}

TEST(SiTTest, SafetensorsRoundTripIsExact) {
  ScratchDir dir;
  const SiT model = randomised("SiT-tiny/2");
  const std::string path = dir.file("sit.safetensors");
  model.save(path);
  SiTLoadReport report;
  const SiT back = SiT::load(path, {}, &report);
  EXPECT_EQ(report.config_source, "metadata");
  EXPECT_EQ(report.format, "safetensors");
  EXPECT_EQ(report.loaded, static_cast<int64_t>(model.state_arrays().size()));
  EXPECT_EQ(back.config().to_json_string(), model.config().to_json_string());
  EXPECT_EQ(back.weights_sha256(), io::sha256_file(path));
  at::NoGradGuard no_grad;
  const Batch b = batch(model.config(), 2);
  const SiT::Output want = model.forward(b.x, b.t, b.y), got = back.forward(b.x, b.t, b.y);
  EXPECT_TRUE(at::equal(got.prediction, want.prediction));
  EXPECT_TRUE(at::equal(got.projections[0], want.projections[0]));
  // Without the metadata the architecture is inferred from the shapes.
  io::write_safetensors(dir.file("plain.safetensors"), model.state_arrays());
  const SiT inferred = SiT::load(dir.file("plain.safetensors"), {}, &report);
  EXPECT_EQ(report.config_source, "inferred");
  EXPECT_EQ(inferred.config().preset, "SiT-tiny/2");
}

TEST(SiTTest, BadFilesAndInputsAreOneLineErrors) {
  ScratchDir dir;
  const SiT model = tiny_sit();
  io::NamedArrays arrays = model.state_arrays();
  arrays.pop_back();  // final_layer.adaLN_modulation.1.bias
  const std::string missing = dir.file("missing.safetensors");
  io::write_safetensors(missing, arrays, {{SiT::kConfigMetadataKey, model.config().to_json_string()}});
  EXPECT_CONTAINS(problem_of([&] { SiT::load(missing); }, missing), "1 missing, 0 unexpected, 0 with the wrong shape");
  EXPECT_CONTAINS(problem_of([&] { SiT::load(missing); }, missing),
                  "first missing 'final_layer.adaLN_modulation.1.bias'");
  SiTLoadOptions other;
  other.config = SiTConfig::preset_config("SiT-tiny/2");
  EXPECT_CONTAINS(problem_of([&] { SiT::load(missing, other); }, missing), "first shape mismatch");
  const std::string none = dir.file("none.safetensors");
  io::write_safetensors(none, {arrays.front()});
  EXPECT_CONTAINS(problem_of([&] { SiT::load(none); }, none), "no SiT in this file");
  const std::string text = dir.file("notes.txt");
  testing::write_bytes(text, "not weights");
  problem_of([&] { SiT::load(text); }, text);

  const Batch b = batch(model.config(), 2);
  EXPECT_CONTAINS(problem_of([&] { model.forward(b.x.narrow(1, 0, 3), b.t, b.y); }, "sit"), "latents must be N×4×8×8");
  EXPECT_CONTAINS(problem_of([&] { model.forward(b.x, b.t.narrow(0, 0, 1), b.y); }, "sit"), "vector of 2 times");
  EXPECT_CONTAINS(problem_of([&] { model.forward(b.x, b.t, b.y + 20); }, "sit"), "labels must lie in [0, 10]");
  EXPECT_CONTAINS(problem_of([&] { model.forward_with_guidance(b.x, b.t, b.y * 0 + 10, {2.0}); }, "sit"),
                  "guided labels must be real classes");
}

}  // namespace
}  // namespace latentlab::models
