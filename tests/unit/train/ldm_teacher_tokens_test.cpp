// REPA targets cached in the latent store (`cache --teacher`, issue #8): train-ldm reading the store's teacher
// tokens trains like the same teacher run online on the same images (float32 tokens: the same numbers;
// float16: the tokens are the online ones rounded to half, and the REPA loss moves by at most that rounding's
// bound); a store with another teacher's tokens or another token grid is refused (or left for online
// targets); the tokens of shards cached with --shard merge into the single-process store's.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "cache/cache_latents.h"
#include "datasets/dataset_spec.h"
#include "datasets/preprocess.h"
#include "models/autoencoder_kl.h"
#include "store/merge.h"
#include "store/reader.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "train/ldm_trainer.h"
#include "unit/train/ldm_test_store.h"

namespace latentlab::train {
namespace {

using latentlab::testing::problem_of;
using ldm_testing::kLdmTestDataset;
using ldm_testing::PooledTeacher;

// The same tokens as PooledTeacher under another identity.
class RenamedPooledTeacher : public PooledTeacher {
 public:
  std::string description() const override { return "another pooled-pixel test teacher"; }
};

double tokens_term(const LossTerms& terms, const std::string& name) {
  for (const auto& [n, v] : terms)
    if (n == name) return v;
  ADD_FAILURE() << "no term " << name;
  return NAN;
}

double tokens_max_weight_difference(const LdmTrainer& a, const LdmTrainer& b) {
  double largest = 0;
  auto pb = b.sit().module().named_parameters();
  for (const auto& p : a.sit().module().named_parameters())
    largest = std::max(largest, (p.value() - pb[p.key()]).abs().max().item<double>());
  return largest;
}

class LdmTeacherTokensTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<latentlab::testing::ScratchDir>();
    at::manual_seed(3);
    models::AutoencoderKL(models::AutoencoderKLConfig::preset_config("tiny-f4d4")).save(dir_->file("vae.safetensors"));
    cache(dir_->file("f32.h5"), kLdmTestDataset, store::LatentDType::Float32);
    cache(dir_->file("f16.h5"), kLdmTestDataset, store::LatentDType::Float16);
  }
  static void TearDownTestSuite() { dir_.reset(); }

  // `cache --flip --teacher <PooledTeacher>` of `data` (tiny-f4d4: 4×8×8 latents of the 32² shapes).
  static void cache(const std::string& out, const std::string& data, store::LatentDType tokens, int shard_index = 0,
                    int shard_count = 1, int batch_size = 16) {
    auto vae = models::AutoencoderKL::load(dir_->file("vae.safetensors"));
    PooledTeacher teacher;
    cache::CacheOptions co;
    co.out = out;
    co.flip = true;
    co.batch_size = batch_size;
    co.threads = 1;
    co.shard_index = shard_index, co.shard_count = shard_count;
    co.teacher = &teacher;
    co.teacher_dtype = tokens;
    cache::cache_latents(vae, *datasets::open_dataset(data), datasets::make_preprocess("none", 0), co);
  }

  // REPA on, random flips, 3 steps; targets from the store or computed online from the shapes.
  static LdmTrainOptions options(const std::string& store, const std::string& out, const std::string& features) {
    LdmTrainOptions o = ldm_testing::tiny_ldm_options(store, out);
    o.repa = "on";
    o.repa_features = features;
    o.random_flip = true;
    o.steps = 3;
    if (features == "online") o.dataset = kLdmTestDataset;
    return o;
  }

  static std::unique_ptr<latentlab::testing::ScratchDir> dir_;
  latentlab::testing::ScratchDir scratch;
};
std::unique_ptr<latentlab::testing::ScratchDir> LdmTeacherTokensTest::dir_;

// float32 tokens: the cache ran the very call train-ldm makes online, on the same [−1, 1] images (flipped
// where the latent is), so the targets, the loss terms and the weights after 3 AdamW steps agree. Tolerance
// 1e-6: the two paths batch the teacher differently (16 images in order vs. 8 shuffled), which may change
// float32 summation order in its pooling and projection.
TEST_F(LdmTeacherTokensTest, Float32TokensTrainLikeTheOnlineTeacher) {
  LdmTrainer stored(options(dir_->file("f32.h5"), scratch.file("stored"), "store"), std::make_shared<PooledTeacher>());
  LdmTrainer online(options(dir_->file("f32.h5"), scratch.file("online"), "online"), std::make_shared<PooledTeacher>());
  ASSERT_TRUE(stored.repa() && stored.repa_from_store());
  ASSERT_TRUE(online.repa() && !online.repa_from_store());
  for (int64_t step = 0; step < 3; ++step) {
    const LdmBatch a = stored.batch(step), b = online.batch(step);
    ASSERT_EQ(a.rows, b.rows);
    EXPECT_FALSE(a.images.defined());
    ASSERT_TRUE(b.images.defined());
    PooledTeacher teacher;
    const at::Tensor expected = teacher.patch_tokens(b.images.to(at::kFloat) / 127.5 - 1.0, 8, 8);
    EXPECT_LE((a.teacher_tokens - expected).abs().max().item<double>(), 1e-6) << "step " << step;
    const LossTerms ta = stored.train_step(a), tb = online.train_step(b);
    EXPECT_NEAR(tokens_term(ta, "denoise"), tokens_term(tb, "denoise"), 1e-6) << "step " << step;
    EXPECT_NEAR(tokens_term(ta, "repa"), tokens_term(tb, "repa"), 1e-6) << "step " << step;
  }
  EXPECT_LE(tokens_max_weight_difference(stored, online), 1e-6);
}

// float16 tokens are the online tokens rounded to half. Each element moves by at most 2^-12 relative, so a
// unit-normalised token moves by at most 2·2^-12 in L2 and each cosine (hence the REPA loss, a mean of them)
// by at most 2^-11 under the same weights.
TEST_F(LdmTeacherTokensTest, Float16TokensAreTheOnlineTokensRoundedToHalf) {
  LdmTrainer stored(options(dir_->file("f16.h5"), scratch.file("stored"), "store"), std::make_shared<PooledTeacher>());
  LdmTrainer online(options(dir_->file("f16.h5"), scratch.file("online"), "online"), std::make_shared<PooledTeacher>());
  const LdmBatch a = stored.batch(0), b = online.batch(0);
  PooledTeacher teacher;
  const at::Tensor exact = teacher.patch_tokens(b.images.to(at::kFloat) / 127.5 - 1.0, 8, 8);
  EXPECT_TRUE(at::equal(a.teacher_tokens, exact.to(at::kHalf).to(at::kFloat)));
  const double repa_stored = tokens_term(stored.evaluate(a, 0), "repa");
  const double repa_online = tokens_term(online.evaluate(b, 0), "repa");
  EXPECT_LE(std::abs(repa_stored - repa_online), std::ldexp(1.0, -11));
  EXPECT_EQ(tokens_term(stored.evaluate(a, 0), "denoise"), tokens_term(online.evaluate(b, 0), "denoise"));
}

TEST_F(LdmTeacherTokensTest, AnotherTeacherOrGridIsRefusedOrComputedOnline) {
  const std::string out = scratch.file("out");
  const std::string f16 = dir_->file("f16.h5");
  // Another teacher: never the store's tokens.
  auto renamed = std::make_shared<RenamedPooledTeacher>();
  LdmTrainOptions o = options(f16, out, "store");
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(o, renamed); }, "--repa-features"),
                  "holds the tokens of another teacher ('pooled-pixel test teacher'; --teacher is 'another");
  o.repa_features = "auto";  // without the images REPA cannot be computed online either
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(o, renamed); }, "--dataset"), "another teacher");
  o.dataset = kLdmTestDataset;  // with them it is
  {
    LdmTrainer t(o, renamed);
    EXPECT_TRUE(t.repa());
    EXPECT_FALSE(t.repa_from_store());
  }
  // Another token grid (SiT patch 2: 4×4 tokens; the store's are 8×8).
  LdmTrainOptions patch = options(f16, out, "store");
  patch.patch_size = 2;
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(patch, std::make_shared<PooledTeacher>()); }, "--repa-features"),
                  "on a 8×8 grid, the SiT's (patch 2) is 4×4");
  // No --teacher: the store's tokens, whichever teacher made them; the protocol names it.
  LdmTrainOptions bare = options(f16, out, "auto");
  {
    LdmTrainer t(bare);
    EXPECT_TRUE(t.repa_from_store());
    EXPECT_EQ(t.teacher_description(), "pooled-pixel test teacher");
  }
  // A store without tokens.
  ldm_testing::write_ldm_store(scratch.file("plain.h5"), 16);
  LdmTrainOptions plain = options(scratch.file("plain.h5"), out, "store");
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(plain, std::make_shared<PooledTeacher>()); }, "--repa-features"),
                  "holds no teacher tokens");
  EXPECT_FALSE(std::filesystem::exists(out));
}

// `cache --shard i/2` with tokens, then `store merge`: every dataset, tokens and flipped tokens included, equals
// the single-process store's byte for byte (batch size 1, so each image is encoded alone in both runs).
TEST_F(LdmTeacherTokensTest, CachedShardsWithTokensMergeIntoTheSingleProcessStore) {
  const std::string data = "shapes:seed=0,n=10,res=32";
  cache(scratch.file("single.h5"), data, store::LatentDType::Float16, 0, 1, 1);
  cache(scratch.file("s0.h5"), data, store::LatentDType::Float16, 0, 2, 1);
  cache(scratch.file("s1.h5"), data, store::LatentDType::Float16, 1, 2, 1);
  store::merge_shards({scratch.file("s1.h5"), scratch.file("s0.h5")}, scratch.file("merged.h5"));
  store::StoreReader single(scratch.file("single.h5")), merged(scratch.file("merged.h5"));
  EXPECT_EQ(store::identity_difference(single.info().header.identity, merged.info().header.identity), "");
  const auto names = store::row_dataset_names(merged.info().header.identity);
  EXPECT_EQ(names.back(), "teacher_tokens_flip");
  for (const auto& name : names) EXPECT_TRUE(single.read_raw(name, 0, 10) == merged.read_raw(name, 0, 10)) << name;
}

}  // namespace
}  // namespace latentlab::train
