// The FeatureExtractor interface (metrics/features/feature_extractor.h) through its one entry so far, the FID
// Inception (inception_extractor.h), made by name from the registry (registry.h): output shapes and dtypes
// for empty input, the io::Array overload against the tensor overload, batch-size independence, and the
// user errors for a bad extractor name, resize mode and image layout. Random Inception weights (seeded,
// with random batch-norm statistics, as in tests/unit/models/inception_fid_test.cpp), written once to a
// safetensors file that the extractor loads like any weights file. Images are 3 × 32 × 32, resized to
// 299 × 299 by the extractor, which keeps the whole file at a few seconds on two cores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/utils.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "metrics/features/inception_extractor.h"
#include "metrics/features/registry.h"
#include "models/inception_fid.h"
#include "models/inception_fid_weights.h"
#include "support/inception_weights.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

using testing::max_abs_diff;
using testing::ScratchDir;

// A seeded random InceptionFID with random batch-norm statistics and fc bias (so that every loaded tensor
// matters), saved as safetensors in the pytorch-fid layout.
void write_random_inception_weights(const std::string& path, uint64_t seed) {
  at::manual_seed(seed);
  models::InceptionFID model;
  testing::randomize_inception_batch_norms(model);
  io::write_safetensors(path, models::inception_fid_state(model));
}

at::Tensor random_images(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(0, 256, {n, h, w, 3}, at::kByte);
}

// One weights file and one extractor (batch size 2) for the whole suite: writing, hashing and loading ~96 MB
// once.
class FeatureExtractorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir;
    weights_ = new std::string(dir_->file("inception-random.safetensors"));
    write_random_inception_weights(*weights_, 11);
    extractor_ = make_feature_extractor(kInceptionExtractorName, options(2)).release();
  }
  static void TearDownTestSuite() {
    delete extractor_;
    extractor_ = nullptr;
    delete weights_;
    delete dir_;
    weights_ = nullptr;
    dir_ = nullptr;
  }

  static FeatureExtractorOptions options(int64_t batch_size) {
    FeatureExtractorOptions o;
    o.weights = *weights_;
    o.batch_size = batch_size;
    return o;
  }

  static ScratchDir* dir_;
  static std::string* weights_;
  static FeatureExtractor* extractor_;
};

ScratchDir* FeatureExtractorTest::dir_ = nullptr;
std::string* FeatureExtractorTest::weights_ = nullptr;
FeatureExtractor* FeatureExtractorTest::extractor_ = nullptr;

TEST_F(FeatureExtractorTest, RegistryListsTheInceptionEntry) {
  const auto names = feature_extractor_names();
  EXPECT_NE(std::find(names.begin(), names.end(), std::string(kInceptionExtractorName)), names.end());
  ASSERT_FALSE(feature_extractors().empty());
  EXPECT_EQ(feature_extractors().front().name, "inception-2015-12-05");
  EXPECT_FALSE(feature_extractors().front().summary.empty());

  const auto* extractor = extractor_;  // made by name through the registry
  EXPECT_EQ(extractor->name(), kInceptionExtractorName);
  const auto protocol = extractor->protocol();
  EXPECT_EQ(protocol["extractor"], kInceptionExtractorName);
  EXPECT_EQ(protocol["resize"], "tf1-bilinear");  // the default
  EXPECT_EQ(protocol["weights_official"], false);
  EXPECT_EQ(protocol["outputs"][kFeaturePool3], 2048);
}

TEST_F(FeatureExtractorTest, EmptyInputGivesZeroRowsOfEveryOutput) {
  auto* extractor = extractor_;
  const auto empty = at::zeros({0, 32, 32, 3}, at::kByte);
  for (const auto& features : {extractor->extract(empty), extractor->extract(io::to_array(empty, "images"))}) {
    ASSERT_EQ(features.size(), extractor->outputs().size());
    for (const auto& output : extractor->outputs()) {
      const auto found = features.find(output.name);
      ASSERT_NE(found, features.end()) << output.name;
      EXPECT_EQ(found->second.sizes(), (at::IntArrayRef{0, output.dim})) << output.name;
      EXPECT_EQ(found->second.scalar_type(), at::kFloat) << output.name;
    }
  }
}

// The io::Array overload converts without changing a value, so the features are bit-identical.
TEST_F(FeatureExtractorTest, ArrayOverloadEqualsTensorOverload) {
  auto* extractor = extractor_;
  const auto images = random_images(1, 32, 24, 12);
  const auto from_tensor = extractor->extract(images);
  const auto from_array = extractor->extract(io::to_array(images, "images"));
  ASSERT_EQ(from_tensor.size(), from_array.size());
  for (const auto& [name, features] : from_tensor) {
    ASSERT_EQ(from_array.count(name), 1u) << name;
    EXPECT_TRUE(features.equal(from_array.at(name))) << name;
  }
}

// Batch-size independence (STYLE.md; torch-fidelity's test_batchsize_independence): 3 images in one batch of 3
// vs batches of 2 + 1. Each image is resized and normalised on its own, so only the float32 convolutions can
// differ, where CPU kernels may block their reductions differently by batch size. Tolerance 1e-5 absolute
// (features of order 0.1–10, i.e. ~1e-6 relative, about ten float32 roundings): what such reordering can
// give; observed differences are printed (0 with LibTorch 1.13 CPU at 299 × 299, see inception_fid_test).
TEST_F(FeatureExtractorTest, FeaturesDoNotDependOnBatchSize) {
  const auto images = random_images(3, 32, 32, 13);
  const auto by_three = make_feature_extractor(kInceptionExtractorName, options(3))->extract(images);
  const auto by_two = extractor_->extract(images);
  for (const auto& [name, features] : by_three) {
    ASSERT_EQ(features.size(0), 3) << name;
    ASSERT_TRUE(features.is_contiguous()) << name;
    const double diff = max_abs_diff(features, by_two.at(name));
    std::printf("%s: batch 3 vs 2 + 1 max |diff| %.3g (max |feature| %.3g)\n", name.c_str(), diff,
                features.abs().max().item<double>());
    EXPECT_LT(diff, 1e-5) << name;
  }
}

TEST_F(FeatureExtractorTest, UnknownExtractorNameIsAUsageErrorListingTheKnownOnes) {
  try {
    make_feature_extractor("inception", options(4));
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "--extractor");
    EXPECT_EQ(e.kind(), UserError::Kind::Usage);
    EXPECT_NE(e.problem().find("'inception'"), std::string::npos) << e.problem();
    EXPECT_NE(e.problem().find("inception-2015-12-05"), std::string::npos) << e.problem();
  }
}

TEST_F(FeatureExtractorTest, BadResizeModeIsAUsageErrorNamingTheOption) {
  auto o = options(4);
  o.resize = "bicubic";
  try {
    make_feature_extractor(kInceptionExtractorName, o);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "--extractor-resize");
    EXPECT_EQ(e.kind(), UserError::Kind::Usage);
    EXPECT_NE(e.problem().find("'bicubic'"), std::string::npos) << e.problem();
    EXPECT_NE(e.problem().find("tf1-bilinear"), std::string::npos) << e.problem();
  }
}

// NCHW (channels first) instead of the ADM/npz NHWC layout, and float instead of uint8: errors naming the
// images, not assertions.
TEST_F(FeatureExtractorTest, WrongImageLayoutOrDtypeIsAUserErrorNamingTheImages) {
  auto* extractor = extractor_;
  const auto nchw = random_images(2, 32, 32, 14).permute({0, 3, 1, 2}).contiguous();  // (2, 3, 32, 32)
  for (const auto& bad : {nchw, random_images(2, 32, 32, 15).to(at::kFloat)}) {
    try {
      extractor->extract(bad);
      FAIL() << "no error";
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), "images");
      EXPECT_NE(e.problem().find("(N, H, W, 3)"), std::string::npos) << e.problem();
    }
    EXPECT_THROW(extractor->extract(io::to_array(bad, "images")), UserError);
  }
}

}  // namespace
}  // namespace latentlab::metrics
