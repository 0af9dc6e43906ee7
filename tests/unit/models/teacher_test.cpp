// Teachers (models/teacher.h): spec parsing and its one-line errors, the token-grid helpers against their
// closed forms, the procedural teacher's save → make_teacher round trip (its training:
// tests/unit/train/teacher_trainer_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "models/teacher.h"
#include "models/teacher_grid.h"
#include "models/teacher_procedural.h"
#include "models/teacher_procedural_train.h"
#include "support/procedural_teacher_data.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

std::string teacher_spec_error(const std::string& spec) {
  try {
    make_teacher(spec);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TeacherSpecTest, MalformedSpecsNameTheOptionAndMissingFilesNameTheFile) {
  for (const std::string spec :
       {"", "clip:vitl14:x.pth", "dinov2:vitb14", "dinov2::w.pth", "procedural:", "torchscript:", "torchscript::32"}) {
    const std::string message = teacher_spec_error(spec);
    EXPECT_EQ(message.rfind("teacher: ", 0), 0u) << spec << " -> " << message;
  }
  EXPECT_NE(teacher_spec_error("dinov2:vitx14:w.pth").find("vitx14"), std::string::npos);
  EXPECT_EQ(teacher_spec_error("procedural:/no/such/teacher.safetensors").rfind("/no/such/teacher.safetensors", 0), 0u);
  EXPECT_EQ(teacher_spec_error("torchscript:/no/such/module.pt:224:unit").rfind("/no/such/module.pt", 0), 0u);
}

TEST(TeacherGridTest, AreaPoolingBilinearUpsamplingAndTokenLayout) {
  const at::Tensor map = at::arange(2 * 3 * 4 * 6, at::kFloat).view({2, 3, 4, 6});
  const at::Tensor same = resample_token_map(map, 4, 6);
  EXPECT_TRUE(at::equal(same, map.flatten(2).transpose(1, 2)));  // row-major tokens, unchanged values
  const at::Tensor pooled = resample_token_map(map, 2, 3);       // 2×2 box means
  EXPECT_TRUE(at::allclose(pooled, at::avg_pool2d(map, {2, 2}).flatten(2).transpose(1, 2)));
  const at::Tensor up = resample_token_map(map, 8, 12);  // exact doubling: bilinear keeps the mean of a ramp
  EXPECT_EQ(up.sizes(), (std::vector<int64_t>{2, 96, 3}));
  EXPECT_NEAR(up.mean().item<double>(), map.mean().item<double>(), 1e-4);

  const at::Tensor tokens = at::randn({2, 1 + 9, 5});  // CLS + 3×3
  const at::Tensor grid = token_map_from_output(tokens, "m");
  EXPECT_EQ(grid.sizes(), (std::vector<int64_t>{2, 5, 3, 3}));
  EXPECT_TRUE(at::equal(map_to_tokens(grid), tokens.slice(1, 1)));
  EXPECT_THROW(token_map_from_output(at::randn({2, 7, 5}), "m"), UserError);

  const at::Tensor images = at::rand({1, 3, 2, 2}) * 2 - 1;
  const at::Tensor imagenet = normalize_teacher_input(images, TeacherNormalization::ImageNet);
  EXPECT_NEAR(imagenet[0][1][0][0].item<double>(), ((images[0][1][0][0].item<double>() + 1) / 2 - 0.456) / 0.224, 1e-5);
  EXPECT_TRUE(at::equal(normalize_teacher_input(images, TeacherNormalization::Signed), images));
}

// Training is tested with the trainer (tests/unit/train/teacher_trainer_test.cpp); the file round trip needs no
// training.
TEST(ProceduralTeacherTest, SavesAndLoadsThroughMakeTeacher) {
  at::manual_seed(3);
  ProceduralTeacherNet net(testing::tiny_teacher_config());
  net->eval();
  const at::Tensor images_uint8 = at::randint(256, {4, 3, 16, 16}, at::kByte);
  testing::ScratchDir dir;
  const std::string path = dir.file("teacher.safetensors");
  save_procedural_teacher(path, net, {{"note", "unit test"}});
  const auto teacher = make_teacher("procedural:" + path);
  EXPECT_EQ(teacher->width(), 12);
  EXPECT_NE(teacher->description().find(io::sha256_file(path)), std::string::npos);
  // The identity (what a latent store's cached teacher tokens record) is the description without the path:
  // the same weights elsewhere are the same teacher.
  EXPECT_EQ(teacher->identity().find(path), std::string::npos);
  EXPECT_NE(teacher->identity().find(io::sha256_file(path)), std::string::npos);
  std::filesystem::copy_file(path, dir.file("moved.safetensors"));
  EXPECT_EQ(make_teacher("procedural:" + dir.file("moved.safetensors"))->identity(), teacher->identity());
  const at::Tensor images = images_to_signed(images_uint8);
  const at::Tensor tokens = teacher->patch_tokens(images, 2, 2);
  EXPECT_EQ(tokens.sizes(), (std::vector<int64_t>{4, 4, 12}));
  at::NoGradGuard no_grad;
  const at::Tensor want = at::adaptive_avg_pool2d(net->token_map(images), {2, 2}).flatten(2).transpose(1, 2);
  EXPECT_TRUE(at::allclose(tokens, want, 1e-6, 1e-6));
  // Other input sizes are resized to the training resolution; the grid may exceed the native 4×4.
  EXPECT_EQ(teacher->patch_tokens(at::zeros({1, 3, 32, 32}), 8, 8).sizes(), (std::vector<int64_t>{1, 64, 12}));

  io::write_safetensors(dir.file("bare.safetensors"), io::read_safetensors(path).arrays);  // no config metadata
  EXPECT_THROW(make_teacher("procedural:" + dir.file("bare.safetensors")), UserError);
}

}  // namespace
}  // namespace latentlab::models
