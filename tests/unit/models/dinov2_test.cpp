// Unit tests of DINOv2 (lib/models/dinov2*.cpp): preset parameter counts (the published ViT-S/14 count with
// its 1370-token pos_embed, and the counts tests/reference/models/dinov2_reference.py gives for the others),
// the architecture read back from a state dict, the published-name normalisation (chunked blocks, training
// checkpoint prefixes), weight-file errors, safetensors loading, input checks and the position-embedding
// resampling's shapes. Random seeded weights; the forward is compared with PyTorch in
// tests/reference/models/dinov2_reference_test.cpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <tuple>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include "core/compat.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "models/dinov2.h"
#include "models/dinov2_weights.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::problem_of;
using testing::ScratchDir;

DinoV2Config tiny_config(DinoV2Ffn ffn = DinoV2Ffn::Mlp, int64_t registers = 0) {
  DinoV2Config c;
  c.embed_dim = 32;
  c.depth = 2;
  c.num_heads = 2;
  c.pos_grid = 3;
  c.ffn = ffn;
  c.ffn_hidden = ffn == DinoV2Ffn::Mlp ? 128 : 88;
  c.num_register_tokens = registers;
  c.interpolate_antialias = registers > 0;
  c.interpolate_offset = registers > 0 ? 0.0 : 0.1;
  return c;
}

io::NamedArrays replace(io::NamedArrays arrays, const std::string& name, const at::Tensor& value) {
  for (auto& [key, array] : arrays)
    if (key == name) array = io::to_array(value, name);
  return arrays;
}

TEST(DinoV2Test, PresetParameterCounts) {
  // ViT-S/14 with pos_embed (1, 1370, 384), as published; built and in closed form.
  const auto vits = DinoV2Config::preset_config("vits14");
  DinoV2 small(vits);
  EXPECT_EQ(small.parameter_count(), 22056576);
  EXPECT_EQ(vits.parameter_count(), 22056576);
  // The reference's counts (dinov2_reference.py counts …), closed form only: ViT-g would need 4.5 GB.
  EXPECT_EQ(DinoV2Config::preset_config("vitb14").parameter_count(), 86580480);
  EXPECT_EQ(DinoV2Config::preset_config("vitl14").parameter_count(), 304368640);
  EXPECT_EQ(DinoV2Config::preset_config("vitg14").parameter_count(), 1136480768);
  EXPECT_EQ(DinoV2Config::preset_config("vits14_reg4").parameter_count(), 22058112);
  EXPECT_EQ(DinoV2Config::preset_config("vitg14_reg4").parameter_count(), 1136486912);
  for (const auto& c : {tiny_config(), tiny_config(DinoV2Ffn::SwiGLU, 4)})
    EXPECT_EQ(DinoV2(c).parameter_count(), c.parameter_count());
  EXPECT_CONTAINS(problem_of([] { DinoV2Config::preset_config("vitx14"); }, "--preset"), "known: vits14");
}

TEST(DinoV2Test, ArchitectureIsReadFromTheWeights) {
  for (const auto& c : {tiny_config(), tiny_config(DinoV2Ffn::SwiGLU), tiny_config(DinoV2Ffn::Mlp, 4)}) {
    DinoV2 model(c);
    const auto read = DinoV2Config::from_weights(dinov2_state(model), 2, "w");
    EXPECT_TRUE(same_architecture(read, c)) << read.to_json().dump();
  }
  // A preset's width gives its head count when none is given.
  const auto small = dinov2_state(DinoV2(DinoV2Config::preset_config("vits14")));
  const auto read = DinoV2Config::from_weights(small, 0, "w");
  EXPECT_EQ(read.preset, "vits14");
  EXPECT_EQ(read.num_heads, 6);
  EXPECT_CONTAINS(problem_of([&] { DinoV2Config::from_weights(dinov2_state(DinoV2(tiny_config())), 0, "w"); }, "w"),
                  "head count");
}

TEST(DinoV2Test, PublishedNamesAreNormalised) {
  io::NamedArrays arrays;
  const auto one = io::to_array(at::zeros({1}), "x");
  for (const char* name :
       {"teacher.backbone.cls_token", "teacher.backbone.blocks.0.3.norm1.weight",
        "teacher.backbone.blocks.1.12.ls1.gamma", "teacher.dino_head.mlp.0.weight", "student.backbone.cls_token"})
    arrays.emplace_back(name, one);
  std::string renamed;
  const auto out = normalize_dinov2_names(arrays, "ckpt", &renamed);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].first, "cls_token");
  EXPECT_EQ(out[1].first, "blocks.3.norm1.weight");
  EXPECT_EQ(out[2].first, "blocks.12.ls1.gamma");
  EXPECT_EQ(renamed, "prefix teacher.backbone., chunked blocks");
  // Plain hub names pass unchanged.
  const io::NamedArrays plain = {{"blocks.3.attn.qkv.weight", one}};
  EXPECT_EQ(normalize_dinov2_names(plain, "w", &renamed)[0].first, "blocks.3.attn.qkv.weight");
  EXPECT_EQ(renamed, "");
}

TEST(DinoV2Test, SafetensorsLoadGivesTheSameNetwork) {
  ScratchDir dir;
  at::manual_seed(3);
  DinoV2 model(tiny_config(DinoV2Ffn::SwiGLU, 4));
  io::write_safetensors(dir.file("w.safetensors"), dinov2_state(model));
  DinoV2LoadOptions options;
  options.num_heads = 2;
  DinoV2WeightsInfo info;
  const auto loaded = load_dinov2(dir.file("w.safetensors"), options, &info);
  EXPECT_EQ(info.format, "safetensors");
  EXPECT_EQ(info.config.num_register_tokens, 4);
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({2, 3, 42, 28});
  const auto a = model.forward(x), b = loaded->forward(x);
  EXPECT_TRUE(at::equal(a.cls, b.cls));
  EXPECT_TRUE(at::equal(a.patch_tokens, b.patch_tokens));
  EXPECT_EQ(a.patch_tokens.sizes(), (at::IntArrayRef{2, 6, 32}));
  EXPECT_EQ(a.register_tokens.sizes(), (at::IntArrayRef{2, 4, 32}));
}

TEST(DinoV2Test, BadWeightFilesNameTheFileAndTensor) {
  ScratchDir dir;
  const auto good = dinov2_state(DinoV2(tiny_config()));
  DinoV2LoadOptions options;
  options.num_heads = 2;
  auto load = [&](const io::NamedArrays& arrays, const std::string& name) {
    const auto path = dir.file(name);
    io::write_safetensors(path, arrays);
    return problem_of([&] { load_dinov2(path, options); }, path);
  };
  io::NamedArrays missing;
  for (const auto& item : good)
    if (item.first != "blocks.1.mlp.fc2.bias") missing.push_back(item);
  EXPECT_CONTAINS(load(missing, "missing.safetensors"), "first missing 'blocks.1.mlp.fc2.bias'");
  EXPECT_CONTAINS(load(replace(good, "blocks.0.ls2.gamma", at::ones({31})), "shape.safetensors"),
                  "first shape mismatch 'blocks.0.ls2.gamma' (file [31]");
  EXPECT_CONTAINS(load(replace(good, "norm.bias", at::zeros({32}, at::kInt)), "dtype.safetensors"), "dtype");
  auto extra = good;
  extra.emplace_back("head.weight", io::to_array(at::zeros({4, 32}), "head.weight"));
  EXPECT_CONTAINS(load(extra, "extra.safetensors"), "first unexpected 'head.weight'");
  EXPECT_CONTAINS(load({{"fc.weight", io::to_array(at::zeros({2, 2}), "fc")}}, "other.safetensors"),
                  "not a DINOv2 state dict");
  EXPECT_CONTAINS(load(replace(good, "pos_embed", at::zeros({1, 11, 32})), "grid.safetensors"), "square grid");
  options.expect_preset = "vitl14";
  EXPECT_CONTAINS(load(good, "preset.safetensors"), "not the vitl14");
  const std::string text = dir.file("text.pth");
  testing::write_bytes(text, "not weights");
  EXPECT_FALSE(problem_of([&] { load_dinov2(text); }, text).empty());
}

TEST(DinoV2Test, InputsMustBePatchMultiples) {
  DinoV2 model(tiny_config());
  at::NoGradGuard no_grad;
  EXPECT_CONTAINS(problem_of([&] { model.forward(at::zeros({1, 3, 30, 28})); }, "images"), "multiples of 14");
  EXPECT_CONTAINS(problem_of([&] { model.forward(at::zeros({1, 1, 28, 28})); }, "images"), "(B, 3, H, W)");
  EXPECT_CONTAINS(problem_of([&] { model.forward(at::zeros({1, 3, 28, 28}), {2}); }, "blocks"), "outside [0, 2)");
}

TEST(DinoV2Test, PositionEmbeddingResampling) {
  at::manual_seed(5);
  DinoV2 model(tiny_config());
  at::NoGradGuard no_grad;
  // The pretraining grid itself is used as is; any other grid is resampled, the CLS position kept.
  const at::Tensor pos = model.named_parameters()["pos_embed"];  // a copy: the dict is a temporary
  EXPECT_TRUE(at::equal(model.position_embedding(3, 3), pos));
  for (const auto& [h, w] : {std::pair<int64_t, int64_t>{5, 2}, {16, 16}, {1, 1}}) {
    const at::Tensor p = model.position_embedding(h, w);
    EXPECT_EQ(p.sizes(), (at::IntArrayRef{1, 1 + h * w, 32}));
    EXPECT_TRUE(at::equal(p.select(1, 0), pos.select(1, 0)));
  }
  // A constant grid stays constant under bicubic resampling (weights sum to one), with or without antialias.
  for (const auto& c : {tiny_config(), tiny_config(DinoV2Ffn::Mlp, 4)}) {
    DinoV2 flat(c);
    flat.named_parameters()["pos_embed"].fill_(0.25);
    EXPECT_TRUE(at::allclose(flat.position_embedding(7, 2), at::full({1, 15, 32}, 0.25), 0, 1e-6));
  }
}

// The GPU build computes what the CPU build computes (fp32, TF32 off), on the tiny SwiGLU register model at a
// resampled 5×3 grid. Skipped without a CUDA device.
TEST(DinoV2Test, CudaMatchesCpu) {
  if (compat::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(9);
  DinoV2 model(tiny_config(DinoV2Ffn::SwiGLU, 4));
  const at::Tensor x = at::randn({2, 3, 70, 42});
  c10::InferenceMode inference;
  const auto cpu = model.forward(x, {0});
  model.to(at::Device("cuda:0"));
  compat::TF32Scope fp32(false);
  const auto gpu = model.forward(x.to(at::Device("cuda:0")), {0});
  for (const auto& [name, a, b] : {std::tuple{"cls", cpu.cls, gpu.cls},
                                   {"patch", cpu.patch_tokens, gpu.patch_tokens},
                                   {"block0", cpu.intermediate[0], gpu.intermediate[0]}}) {
    const double diff = (a - b.to(at::kCPU)).abs().max().item<double>();
    std::printf("dinov2 cpu vs cuda %s: %.3g\n", name, diff);
    EXPECT_LT(diff, 1e-4) << name;
  }
}

}  // namespace
}  // namespace latentlab::models
