// Unit tests of the FID Inception (lib/models/inception_fid*.cpp): output shapes and the state-dict layout of
// pytorch-fid's file, weight-loading errors, safetensors vs .pth loading, the two resize modes on cases
// computed by hand, and independence of the features from the batch size and the device. Random weights
// throughout (seeded); the comparison with an independent PyTorch implementation is
// tests/reference/models/inception_fid_reference_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/serialize.h>

#include "core/compat.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "models/inception_fid.h"
#include "models/inception_fid_input.h"
#include "models/inception_fid_weights.h"
#include "support/inception_weights.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::max_abs_diff;
using testing::ScratchDir;

std::shared_ptr<InceptionFID> random_model(uint64_t seed) {
  at::manual_seed(seed);
  auto model = std::make_shared<InceptionFID>();
  model->eval();
  at::manual_seed(seed + 1);
  testing::randomize_inception_batch_norms(*model);  // so that loading them matters
  return model;
}

at::Tensor random_images(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(0, 256, {n, h, w, 3}, at::kByte);
}

// torch.save-compatible zip .pth of `arrays` (LibTorch's writer), optionally with num_batches_tracked entries.
void save_pth(const std::string& path, const io::NamedArrays& arrays, bool with_num_batches_tracked = false) {
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& [name, array] : arrays) {
    state.insert(name, io::to_tensor(array));  // pickle_save only reads
    const std::string suffix = ".bn.running_var";
    if (with_num_batches_tracked && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      state.insert(name.substr(0, name.size() - 11) + "num_batches_tracked", at::scalar_tensor(0, at::kLong));
    }
  }
  const auto bytes = torch::pickle_save(state);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

InceptionFIDOutputs run(InceptionFID& model, const at::Tensor& images, InceptionResize mode) {
  c10::InferenceMode inference;
  return model.forward(prepare_inception_input(images, mode));
}

TEST(InceptionFID, OutputShapesAndLogitsBias) {
  auto model = random_model(1);
  const auto out = run(*model, random_images(2, 64, 48, 2), InceptionResize::TF1Bilinear);
  EXPECT_EQ(out.pool3.sizes().vec(), (std::vector<int64_t>{2, kInceptionPool3Dim}));
  EXPECT_EQ(out.logits.sizes().vec(), (std::vector<int64_t>{2, kInceptionLogitsDim}));
  EXPECT_EQ(out.logits_unbiased.sizes().vec(), (std::vector<int64_t>{2, 1008}));
  EXPECT_EQ(out.spatial.sizes().vec(), (std::vector<int64_t>{2, 2023}));
  EXPECT_EQ(out.pool3.scalar_type(), at::kFloat);
  // pool3 follows a ReLU; the spatial features are post-ReLU too.
  EXPECT_GE(out.pool3.min().item<float>(), 0.0f);
  EXPECT_GE(out.spatial.min().item<float>(), 0.0f);
  // logits − logits_unbiased is the fc bias in every row.
  const auto bias = model->named_parameters()["fc.bias"];
  EXPECT_LT(max_abs_diff(out.logits - out.logits_unbiased, bias.expand({2, 1008})), 1e-5);
}

TEST(InceptionFID, StateDictLayoutIsPytorchFids) {
  InceptionFID model;
  const auto state = inception_fid_state(model);
  std::map<std::string, io::Shape> shapes;
  int64_t values = 0;
  for (const auto& [name, array] : state) {
    shapes[name] = array.shape;
    values += array.numel();
  }
  // 94 BasicConv2d (5 stem + 3·7 A + 4 B + 4·10 C + 6 D + 2·9 E) × 5 tensors + fc weight and bias.
  EXPECT_EQ(state.size(), 94u * 5 + 2);
  EXPECT_EQ(values, 23885392);  // pytorch-fid's file without num_batches_tracked
  EXPECT_EQ(shapes["Conv2d_1a_3x3.conv.weight"], (io::Shape{32, 3, 3, 3}));
  EXPECT_EQ(shapes["Mixed_5b.branch_pool.conv.weight"], (io::Shape{32, 192, 1, 1}));
  EXPECT_EQ(shapes["Mixed_6d.branch1x1.bn.running_var"], (io::Shape{192}));
  EXPECT_EQ(shapes["Mixed_6e.branch7x7dbl_5.conv.weight"], (io::Shape{192, 192, 1, 7}));
  EXPECT_EQ(shapes["Mixed_7a.branch7x7x3_4.conv.weight"], (io::Shape{192, 192, 3, 3}));
  EXPECT_EQ(shapes["Mixed_7c.branch3x3dbl_3b.conv.weight"], (io::Shape{384, 384, 3, 1}));
  EXPECT_EQ(shapes["Mixed_7c.branch_pool.conv.weight"], (io::Shape{192, 2048, 1, 1}));
  EXPECT_EQ(shapes["fc.weight"], (io::Shape{1008, 2048}));
  EXPECT_EQ(shapes["fc.bias"], (io::Shape{1008}));
  EXPECT_EQ(shapes.count("AuxLogits.fc.weight"), 0u);
}

// The UserError message of loading `arrays` (as if read from "w.pth").
std::string load_error(InceptionFID& model, const io::NamedArrays& arrays) {
  try {
    load_inception_fid_state(model, arrays, "w.pth");
  } catch (const UserError& error) {
    EXPECT_EQ(error.subject(), "w.pth");
    return error.problem();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(InceptionFIDWeights, MissingWrongAndUnexpectedTensorsNameTheKey) {
  InceptionFID model;
  const auto state = inception_fid_state(model);

  io::NamedArrays missing;
  for (const auto& item : state)
    if (item.first != "Mixed_6e.branch7x7_2.conv.weight") missing.push_back(item);
  EXPECT_NE(load_error(model, missing).find("missing tensor 'Mixed_6e.branch7x7_2.conv.weight'"), std::string::npos);

  io::NamedArrays reshaped = state;
  for (auto& [name, array] : reshaped) {
    if (name == "fc.weight") array = io::to_array(at::zeros({1000, 2048}), name);
  }
  const auto shape_error = load_error(model, reshaped);
  EXPECT_NE(shape_error.find("'fc.weight' has shape [1000, 2048]"), std::string::npos) << shape_error;
  EXPECT_NE(shape_error.find("[1008, 2048]"), std::string::npos) << shape_error;

  io::NamedArrays extra = state;
  extra.emplace_back("AuxLogits.fc.weight", io::to_array(at::zeros({1000, 768}), "x"));
  EXPECT_NE(load_error(model, extra).find("unexpected tensor 'AuxLogits.fc.weight'"), std::string::npos);

  io::NamedArrays integer = state;
  for (auto& [name, array] : integer) {
    if (name == "fc.bias") array = io::to_array(at::zeros({1008}, at::kLong), name);
  }
  EXPECT_NE(load_error(model, integer).find("'fc.bias' has dtype I64"), std::string::npos);

  // Failed loads leave the model unchanged.
  for (const auto& [name, array] : state) {
    ASSERT_TRUE(io::to_tensor(array).equal(model.named_parameters().contains(name) ? model.named_parameters()[name]
                                                                                   : model.named_buffers()[name]))
        << name;
  }
}

TEST(InceptionFIDWeights, FileErrorsNameTheFile) {
  ScratchDir dir;
  // A safetensors file holding only fc.bias: the first tensor the network needs is missing.
  io::write_safetensors(dir.file("partial.safetensors"), {{"fc.bias", io::to_array(at::zeros({1008}), "fc.bias")}});
  InceptionFID model;
  try {
    load_inception_fid_weights(model, dir.file("partial.safetensors"));
    ADD_FAILURE() << "no error";
  } catch (const UserError& error) {
    EXPECT_EQ(error.subject(), dir.file("partial.safetensors"));
    EXPECT_NE(error.problem().find("missing tensor 'Conv2d_1a_3x3.conv.weight'"), std::string::npos) << error.problem();
  }
  EXPECT_THROW(load_inception_fid_weights(model, dir.file("absent.pth")), UserError);
}

#if LATENTLAB_WITH_ZIP  // writes a zip-format .pth (libzip)
TEST(InceptionFIDWeights, SafetensorsAndPthLoadTheSameNetwork) {
  ScratchDir dir;
  auto source = random_model(3);
  const auto state = inception_fid_state(*source);
  save_pth(dir.file("w.pth"), state, /*with_num_batches_tracked=*/true);  // torch ≥ 1.0 writes these; ignored
  io::write_safetensors(dir.file("w.safetensors"), state);

  InceptionFID from_pth, from_safetensors;
  from_pth.eval();
  from_safetensors.eval();
  const auto pth_info = load_inception_fid_weights(from_pth, dir.file("w.pth"));
  const auto st_info = load_inception_fid_weights(from_safetensors, dir.file("w.safetensors"));
  EXPECT_EQ(pth_info.format, "pth-zip");
  EXPECT_EQ(st_info.format, "safetensors");
  EXPECT_EQ(pth_info.sha256.size(), 64u);
  EXPECT_NE(pth_info.sha256, st_info.sha256);
  EXPECT_FALSE(pth_info.official);
  EXPECT_EQ(cached_file_sha256(dir.file("w.pth")), pth_info.sha256);

  for (const auto& [name, array] : state) {
    for (InceptionFID* model : {&from_pth, &from_safetensors}) {
      const auto loaded =
          model->named_parameters().contains(name) ? model->named_parameters()[name] : model->named_buffers()[name];
      ASSERT_TRUE(io::to_tensor(array).equal(loaded)) << name;
    }
  }
  // Equal tensors give equal features; one small forward pass each confirms it end to end.
  at::manual_seed(4);
  const auto x = at::rand({1, 3, 107, 107}) * 2 - 1;
  c10::InferenceMode inference;
  const auto a = from_pth.forward(x), b = from_safetensors.forward(x);
  EXPECT_TRUE(a.pool3.equal(b.pool3));
  EXPECT_TRUE(a.logits.equal(b.logits));
  EXPECT_TRUE(a.spatial.equal(b.spatial));
}
#endif

TEST(InceptionFIDWeights, OfficialMeansTheSha256Prefix) {
  EXPECT_TRUE(is_official_inception_sha256("6726825d" + std::string(56, '0')));
  EXPECT_FALSE(is_official_inception_sha256("6726825e" + std::string(56, '0')));
  EXPECT_FALSE(is_official_inception_sha256(""));
}

// TF 1.x legacy bilinear, 2 -> 4: source = i·2/4 = 0, 0.5, 1, 1.5; upper index clamped to 1.
TEST(InceptionFIDInput, TF1BilinearByHand) {
  const auto x = at::tensor({10.0f, 20.0f}).view({1, 1, 1, 2});
  const auto y = resize_bilinear_tf1(x, 1, 4);
  EXPECT_TRUE(y.equal(at::tensor({10.0f, 15.0f, 20.0f, 20.0f}).view({1, 1, 1, 4}))) << y;
  // 3 -> 2 (downscale): source = 0, 1.5 -> [a, (b + c)/2].
  const auto z = resize_bilinear_tf1(at::tensor({1.0f, 3.0f, 7.0f}).view({1, 1, 3, 1}), 2, 1);
  EXPECT_TRUE(z.equal(at::tensor({1.0f, 5.0f}).view({1, 1, 2, 1}))) << z;
  // Rows and columns together: a 2×2 image to 4×4; the corner block repeats the last row and column.
  const auto square = resize_bilinear_tf1(at::tensor({0.0f, 4.0f, 8.0f, 12.0f}).view({1, 1, 2, 2}), 4, 4);
  const auto expected =
      at::tensor({0.0f, 2.0f, 4.0f, 4.0f, 4.0f, 6.0f, 8.0f, 8.0f, 8.0f, 10.0f, 12.0f, 12.0f, 8.0f, 10.0f, 12.0f, 12.0f})
          .view({1, 1, 4, 4});
  EXPECT_TRUE(square.equal(expected)) << square;
}

TEST(InceptionFIDInput, NormalisationAndIdentityAt299) {
  auto images = random_images(1, 299, 299, 5);
  images[0][0][0][0] = 0;
  images[0][0][0][1] = 255;
  images[0][0][0][2] = 128;
  const auto tf = prepare_inception_input(images, InceptionResize::TF1Bilinear);
  const auto pt = prepare_inception_input(images, InceptionResize::TorchBilinear);
  const auto raw = images.permute({0, 3, 1, 2}).to(at::kFloat);
  EXPECT_TRUE(tf.equal((raw - 128) / 128));
  EXPECT_LT(max_abs_diff(pt, raw / 255 * 2 - 1), 1e-6);
  EXPECT_EQ(tf[0][0][0][0].item<float>(), -1.0f);
  EXPECT_EQ(tf[0][1][0][0].item<float>(), 127.0f / 128.0f);  // TF's scale never reaches +1
  EXPECT_EQ(tf[0][2][0][0].item<float>(), 0.0f);
  EXPECT_EQ(pt[0][1][0][0].item<float>(), 1.0f);
  const auto up = prepare_inception_input(random_images(2, 30, 17, 6), InceptionResize::TorchBilinear);
  EXPECT_EQ(up.sizes().vec(), (std::vector<int64_t>{2, 3, 299, 299}));
  EXPECT_LE(up.abs().max().item<float>(), 1.0f);
  EXPECT_THROW(prepare_inception_input(at::zeros({1, 3, 8, 8}, at::kByte), InceptionResize::TF1Bilinear), UserError);
  EXPECT_THROW(prepare_inception_input(at::zeros({1, 8, 8, 3}), InceptionResize::TF1Bilinear), UserError);
  EXPECT_THROW(parse_resize("bicubic", "--resize"), UserError);
  EXPECT_EQ(parse_resize("torch-bilinear", "--resize"), InceptionResize::TorchBilinear);
}

// The one-pass channels-last input the CPU extractor feeds the network equals prepare_inception_input bit for
// bit (the same float operations in the same order): sizes below, at and above 299, non-square, 1×1, a strided
// NHWC view (a permuted NCHW batch), both resize modes.
TEST(InceptionFIDInput, ChannelsLastInputIsBitIdentical) {
  const std::vector<std::pair<int64_t, int64_t>> sizes = {{32, 24}, {299, 299}, {320, 301}, {1, 1}};
  for (const auto& [h, w] : sizes) {
    const auto images = random_images(2, h, w, 20);
    for (const auto mode : {InceptionResize::TF1Bilinear, InceptionResize::TorchBilinear}) {
      const auto expected = prepare_inception_input(images, mode);
      const auto got = prepare_inception_input_channels_last(images, mode);
      EXPECT_TRUE(got.is_contiguous(at::MemoryFormat::ChannelsLast)) << h << "x" << w;
      EXPECT_TRUE(got.equal(expected)) << h << "x" << w << " " << resize_name(mode) << ": max |diff| "
                                       << max_abs_diff(got, expected);
    }
  }
  const auto view = random_images(2, 40, 50, 21).permute({0, 3, 1, 2}).contiguous().permute({0, 2, 3, 1});
  EXPECT_TRUE(prepare_inception_input_channels_last(view, InceptionResize::TF1Bilinear)
                  .equal(prepare_inception_input(view.contiguous(), InceptionResize::TF1Bilinear)));
  EXPECT_THROW(prepare_inception_input_channels_last(at::zeros({1, 3, 8, 8}, at::kByte), InceptionResize::TF1Bilinear),
               UserError);
}

// Batch-size independence (STYLE.md, after torch-fidelity's test): a batch of 3 vs 3 batches of 1, fed to the
// network at 128×128 to keep the test fast (the resize is per image and cannot mix images). Tolerance 1e-4
// absolute (features of order 0.1–10) allows CPU kernels that block differently by batch size; observed
// differences are printed (~3e-6 at 128×128, 0 at 299×299 with LibTorch 1.13 CPU).
TEST(InceptionFID, FeaturesDoNotDependOnBatchSize) {
  auto model = random_model(6);
  at::manual_seed(7);
  const auto x = at::rand({3, 3, 128, 128}) * 2 - 1;
  c10::InferenceMode inference;
  const auto whole = model->forward(x);
  for (int64_t i = 0; i < 3; ++i) {
    const auto one = model->forward(x.narrow(0, i, 1));
    const double pool3 = max_abs_diff(one.pool3, whole.pool3.narrow(0, i, 1));
    const double logits = max_abs_diff(one.logits_unbiased, whole.logits_unbiased.narrow(0, i, 1));
    const double spatial = max_abs_diff(one.spatial, whole.spatial.narrow(0, i, 1));
    std::printf("image %lld: batch 1 vs 3 max |diff| pool3 %.3g logits %.3g spatial %.3g\n", static_cast<long long>(i),
                pool3, logits, spatial);
    EXPECT_LT(pool3, 1e-4);
    EXPECT_LT(logits, 1e-4);
    EXPECT_LT(spatial, 1e-4);
  }
}

// Batch-norm folding (InceptionFID::fold_batch_norms, what the extractor runs): conv-with-bias → ReLU against
// conv → BN → ReLU on the same random weights with random BN statistics (every folded term matters), 2 inputs at
// 128×128. Tolerance 1e-4 absolute, the Python parity test's: only float32 rounding differs (w·s and β − μ·s
// rounded once instead of the separate BN); observed differences are printed. The state dict stays as loaded,
// loading other weights refolds, and unfolding gives the unfolded network's outputs exactly.
TEST(InceptionFID, FoldedBatchNormsComputeTheSameFeatures) {
  auto model = random_model(10);
  auto other = random_model(12);
  at::manual_seed(11);
  const auto x = at::rand({2, 3, 128, 128}) * 2 - 1;
  const auto forward = [&](InceptionFID& m) {
    c10::InferenceMode inference;
    return m.forward(x);
  };
  const auto worst = [](const InceptionFIDOutputs& a, const InceptionFIDOutputs& b) {
    return std::max({max_abs_diff(a.pool3, b.pool3), max_abs_diff(a.logits_unbiased, b.logits_unbiased),
                     max_abs_diff(a.logits, b.logits), max_abs_diff(a.spatial, b.spatial)});
  };
  const auto state = inception_fid_state(*model);
  const auto plain = forward(*model);
  model->fold_batch_norms(true);
  EXPECT_TRUE(model->batch_norms_folded());
  const double folded = worst(forward(*model), plain);
  std::printf("folded vs unfolded max |diff| %.3g (max |pool3| %.3g)\n", folded,
              plain.pool3.abs().max().item<double>());
  EXPECT_LT(folded, 1e-4);
  const auto after = inception_fid_state(*model);
  ASSERT_EQ(after.size(), state.size());
  for (size_t i = 0; i < state.size(); ++i)
    EXPECT_TRUE(io::to_tensor(after[i].second).equal(io::to_tensor(state[i].second))) << state[i].first;

  load_inception_fid_state(*model, inception_fid_state(*other), "other");
  EXPECT_TRUE(model->batch_norms_folded());
  const auto expected = forward(*other);
  EXPECT_LT(worst(forward(*model), expected), 1e-4);
  EXPECT_GT(worst(expected, plain), 1e-2);  // the new weights are in use, not the old folded copies
  model->fold_batch_norms(false);
  EXPECT_FALSE(model->batch_norms_folded());
  EXPECT_EQ(worst(forward(*model), expected), 0.0);
}

// CPU vs CUDA on the same weights and images (runs only where a GPU is usable), fp32 with TF32 off as the
// extractor runs it. Tolerance 1e-3 absolute: cuDNN picks other algorithms and summation orders.
TEST(InceptionFID, CpuAndCudaAgree) {
  if (compat::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  compat::TF32Scope fp32(false);  // as the extractor runs it
  auto model = random_model(8);
  const auto images = random_images(2, 96, 120, 9);
  const auto cpu = run(*model, images, InceptionResize::TF1Bilinear);
  model->to(at::Device("cuda:0"));
  const auto cuda = run(*model, images.to(at::Device("cuda:0")), InceptionResize::TF1Bilinear);
  const double pool3 = max_abs_diff(cpu.pool3, cuda.pool3.cpu());
  const double spatial = max_abs_diff(cpu.spatial, cuda.spatial.cpu());
  std::printf("cpu vs cuda max |diff| pool3 %.3g spatial %.3g\n", pool3, spatial);
  EXPECT_LT(pool3, 1e-3);
  EXPECT_LT(spatial, 1e-3);
  EXPECT_LT(max_abs_diff(cpu.logits_unbiased, cuda.logits_unbiased.cpu()), 1e-3);
}

}  // namespace
}  // namespace latentlab::models
