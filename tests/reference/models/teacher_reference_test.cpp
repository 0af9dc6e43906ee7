// The DINOv2 and TorchScript teachers against teacher_reference.py (an independent PyTorch implementation of
// their documented preparation; the ViT from dinov2_reference.py): tiny seeded weights, [−1, 1] images of a
// size the teachers must resize, several grids (the DINOv2 position embeddings resampled to each; the
// TorchScript tokens area-pooled, kept or bilinearly upsampled). Tokens must agree within 1e-5 absolute
// (float32 on both sides, different summation orders).
#include <gtest/gtest.h>

#include <iostream>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/sha256.h"
#include "io/tensor_convert.h"
#include "models/dinov2.h"
#include "models/dinov2_weights.h"
#include "models/teacher_dinov2.h"
#include "models/teacher_torchscript.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

constexpr double kTeacherTolerance = 1e-5;

void expect_teacher_tokens(Teacher& teacher, io::NpzReader& expected, const std::string& key, int64_t gh, int64_t gw) {
  const at::Tensor images = io::to_tensor(expected.read("images"));
  const at::Tensor want = io::to_tensor(expected.read(key));
  const at::Tensor got = teacher.patch_tokens(images, gh, gw);
  ASSERT_EQ(got.sizes(), want.sizes()) << key;
  EXPECT_FALSE(got.requires_grad());
  const double diff = testing::max_abs_diff(got, want);
  std::cout << "teacher reference " << key << ": max |C++ - PyTorch| = " << diff << "\n";
  EXPECT_LE(diff, kTeacherTolerance) << key;
}

TEST(TeacherReferenceTest, DinoV2PatchTokensMatchOnEveryGrid) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy"));
  testing::ScratchDir dir;
  const auto made = testing::run_reference_python("models/teacher_reference.py", "dinov2 " + dir.path() + " --seed 5");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  DinoV2LoadOptions options;
  options.num_heads = 4;  // a 64-d model matches no preset, so the teacher is built from the loaded model
  DinoV2WeightsInfo info;
  DinoV2Teacher teacher(load_dinov2(dir.file("dinov2.pth"), options, &info), "tiny");
  EXPECT_EQ(teacher.width(), 64);
  io::NpzReader expected(dir.file("dinov2.npz"));
  expect_teacher_tokens(teacher, expected, "tokens_3x2", 3, 2);
  expect_teacher_tokens(teacher, expected, "tokens_4x4", 4, 4);  // the pretraining grid: no position resampling
  expect_teacher_tokens(teacher, expected, "tokens_2x5", 2, 5);
}

TEST(TeacherReferenceTest, TorchScriptTokensAndMapsMatchOnEveryGrid) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy"));
  testing::ScratchDir dir;
  const auto made =
      testing::run_reference_python("models/teacher_reference.py", "torchscript " + dir.path() + " --seed 5");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  io::NpzReader expected(dir.file("torchscript.npz"));

  const auto tokens = make_teacher("torchscript:" + dir.file("tokens.pt") + ":32");  // scripted, tuple output
  EXPECT_EQ(tokens->width(), 12);
  EXPECT_NE(tokens->description().find(io::sha256_file(dir.file("tokens.pt"))), std::string::npos);
  expect_teacher_tokens(*tokens, expected, "tokens_4x4", 4, 4);
  expect_teacher_tokens(*tokens, expected, "tokens_2x2", 2, 2);
  expect_teacher_tokens(*tokens, expected, "tokens_6x5", 6, 5);

  const auto map = make_teacher("torchscript:" + dir.file("map.pt") + ":40:unit");  // traced, (B, D, h, w)
  EXPECT_EQ(map->width(), 10);
  expect_teacher_tokens(*map, expected, "map_5x5", 5, 5);
  expect_teacher_tokens(*map, expected, "map_3x2", 3, 2);
}

}  // namespace
}  // namespace latentlab::models
