// The LDM trainer on a tiny synthetic store (SiT-tiny/1, 4×8×8 latents, batch 8): one step lowers the loss of
// a fixed batch under fixed draws; a resumed run ends bitwise where an uninterrupted one ends (with EMA and
// REPA); label dropout sends the label gradient to the null class only; the REPA term is there exactly when
// asked for; the final weights carry the store's normalisation for `latentlab sample`; bf16 autocast trains
// float32 master weights; bad options fail with one line naming the option.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "diffusion/latent_norm.h"
#include "io/tensor_convert.h"
#include "models/sit.h"
#include "store/reader.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "train/ldm_latents.h"
#include "train/ldm_trainer.h"
#include "train/precision.h"
#include "unit/train/ldm_test_store.h"

namespace latentlab::train {
namespace {

using ldm_testing::PooledTeacher;
using ldm_testing::tiny_ldm_options;

double ldm_term(const LossTerms& terms, const std::string& name) {
  for (const auto& [n, v] : terms)
    if (n == name) return v;
  ADD_FAILURE() << "no term " << name;
  return NAN;
}

bool ldm_has_term(const LossTerms& terms, const std::string& name) {
  for (const auto& [n, v] : terms)
    if (n == name) return true;
  return false;
}

at::Tensor parameter_of(const models::SiT& sit, const std::string& name) {
  return sit.module().named_parameters()[name].detach().clone();
}

class LdmTrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<latentlab::testing::ScratchDir>();
    ldm_testing::write_ldm_store(dir_->file("plain.h5"), 40);
    ldm_testing::write_ldm_store(dir_->file("images.h5"), 48, true);
    ldm_testing::write_ldm_store(dir_->file("images24.h5"), 24, true);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string store(const std::string& name) { return dir_->file(name); }
  static std::unique_ptr<latentlab::testing::ScratchDir> dir_;
  latentlab::testing::ScratchDir scratch;
};
std::unique_ptr<latentlab::testing::ScratchDir> LdmTrainerTest::dir_;

TEST_F(LdmTrainerTest, OneStepLowersTheLossOfAFixedBatch) {
  LdmTrainer trainer(tiny_ldm_options(store("plain.h5"), scratch.file("out")));
  const LdmBatch batch = trainer.batch(0);
  const double before = ldm_term(trainer.evaluate(batch, 0), "denoise");
  // A fresh SiT predicts 0 (zero-initialised final layer), so the loss is E[(ε − x)²] ≈ 2 per element.
  EXPECT_NEAR(before, 2.0, 0.6);
  trainer.train_step(batch);
  const double after = ldm_term(trainer.evaluate(batch, 0), "denoise");
  EXPECT_LT(after, before);
  EXPECT_EQ(trainer.step(), 1);
}

// precision = bf16 (the paper configs' setting) on the CPU: 6 steps of the tiny options (batch 8, lr 1e-3) on
// one batch; around each step s the loss of the batch under step s's own draws (t, ε: those the step trains on).
// Checked: the forward really runs in bf16 (a SiT forward under train::autocast_scope returns a bf16
// prediction; fp32 gives no scope); every term stays finite; each step lowers the loss it was taken on, in both
// precisions (over 6 steps the loss under *other* draws does not fall measurably on this tiny store, in fp32
// either); parameters and gradients stay float32 (AdamW updates fp32 master weights); and the run differs from
// the fp32 run of the same draws, which is bitwise reproducible (ResumedRunEqualsUninterruptedRun), so the
// difference is autocast's rounding. Its size: bf16 keeps 8 significant bits (relative rounding 2^-9 ≈ 2e-3
// per value) and the loss averages 8·256 squared errors whose roundings mostly cancel, so the two runs'
// losses stay within 2 % of each other (measured: ≤ 3e-5 relative, largest weight difference 6e-3).
TEST_F(LdmTrainerTest, Bf16AutocastTrainsFloat32MasterWeights) {
  struct Run {
    std::vector<double> losses;  // before and after each step, under that step's draws
    std::vector<at::Tensor> weights;
  };
  const auto train = [&](const std::string& precision) {
    LdmTrainOptions o = tiny_ldm_options(store("plain.h5"), scratch.file(precision));
    o.precision = precision;
    o.validate();
    LdmTrainer trainer(o);
    const LdmBatch batch = trainer.batch(0);
    Run run;
    for (int64_t step = 0; step < 6; ++step) {
      const double before = ldm_term(trainer.evaluate(batch, step), "denoise");
      for (const auto& [name, value] : trainer.train_step(batch))
        EXPECT_TRUE(std::isfinite(value)) << precision << " step " << step << " " << name;
      const double after = ldm_term(trainer.evaluate(batch, step), "denoise");
      EXPECT_LT(after, before) << precision << " step " << step;
      run.losses.push_back(before);
      run.losses.push_back(after);
    }
    for (const auto& p : trainer.sit().module().named_parameters()) {
      EXPECT_EQ(p.value().scalar_type(), at::kFloat) << precision << " " << p.key();
      if (p.value().grad().defined()) {
        EXPECT_EQ(p.value().grad().scalar_type(), at::kFloat) << p.key();
      }
      run.weights.push_back(p.value().detach().clone());
    }
    if (precision == "bf16") {
      const auto scope = autocast_scope(parse_precision(precision, "--precision"), c10::DeviceType::CPU);
      EXPECT_NE(scope, nullptr);
      const at::Tensor x = at::randn({2, 4, 8, 8});
      EXPECT_EQ(trainer.sit().forward(x, at::full({2}, 0.5), at::zeros({2}, at::kLong)).prediction.scalar_type(),
                at::kBFloat16);
    }
    return run;
  };
  EXPECT_EQ(autocast_scope(Precision::FP32, c10::DeviceType::CPU), nullptr);
  const Run fp32 = train("fp32"), bf16 = train("bf16");
  const auto listed = [](const std::vector<double>& v) {
    std::string text;
    for (const double x : v) text += " " + std::to_string(x);
    return text;
  };
  for (const Run* run : {&fp32, &bf16})
    for (const double loss : run->losses) EXPECT_TRUE(std::isfinite(loss)) << listed(run->losses);
  // Before the first step the losses are equal (a fresh SiT predicts exactly 0 in any precision); then the runs
  // part.
  EXPECT_EQ(bf16.losses.front(), fp32.losses.front());
  double largest = 0;
  for (size_t i = 0; i < fp32.weights.size(); ++i)
    largest = std::max(largest, (bf16.weights[i] - fp32.weights[i]).abs().max().item<double>());
  EXPECT_GT(largest, 0) << "bf16 trained exactly like fp32: autocast did not run";
  for (size_t i = 1; i < fp32.losses.size(); ++i) {
    EXPECT_NE(bf16.losses[i], fp32.losses[i]) << "loss " << i;
    EXPECT_NEAR(bf16.losses[i], fp32.losses[i], 0.02 * fp32.losses[i]) << "loss " << i;
  }
  std::printf("losses before and after each step\nfp32%s\nbf16%s\nlargest weight difference %g\n",
              listed(fp32.losses).c_str(), listed(bf16.losses).c_str(), largest);
}

TEST_F(LdmTrainerTest, ResumedRunEqualsUninterruptedRun) {
  // 5 steps of batch 8 on 24 rows cross the epoch boundary at step 3; the run is cut at step 2. EMA, REPA
  // and posterior sampling on.
  auto options = [&](const std::string& out) {
    LdmTrainOptions o = tiny_ldm_options(store("images24.h5"), out);
    o.steps = 5;
    o.checkpoint_every = 2;
    o.ema = 0.9;
    o.repa = "on";
    o.dataset = ldm_testing::kLdmTestDataset;
    o.resume = "auto";
    return o;
  };
  const auto teacher = std::make_shared<PooledTeacher>();
  io::NamedArrays straight;
  {
    LdmTrainer trainer(options(scratch.file("straight")), teacher);
    trainer.run();
    straight = trainer.sit().state_arrays();
  }
  {
    LdmTrainer first(options(scratch.file("resumed")), teacher);
    EXPECT_EQ(first.run(2).end_step, 2);
  }
  LdmTrainer second(options(scratch.file("resumed")), teacher);
  EXPECT_EQ(second.resume(), 2);
  second.run();
  const io::NamedArrays resumed = second.sit().state_arrays();
  ASSERT_EQ(resumed.size(), straight.size());
  for (size_t i = 0; i < resumed.size(); ++i)
    EXPECT_TRUE(at::equal(io::to_tensor(resumed[i].second), io::to_tensor(straight[i].second))) << resumed[i].first;
  // The final EMA weights too (sit.safetensors holds the average).
  const auto a = models::SiT::load(scratch.file("straight/sit.safetensors")).state_arrays();
  const auto b = models::SiT::load(scratch.file("resumed/sit.safetensors")).state_arrays();
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(at::equal(io::to_tensor(a[i].second), io::to_tensor(b[i].second))) << a[i].first;
}

TEST_F(LdmTrainerTest, LabelDropoutSendsTheLabelGradientToTheNullClass) {
  // Adam moves exactly the rows with a gradient (weight decay 0): with dropout ~1 only the null row (10),
  // without dropout only the rows of the batch's real classes. Three steps on the batch: at initialisation the
  // final linear is zero, so step 1 trains only it; step 2 then reaches the adaLN-Zero layers, still zero when
  // it starts; only step 3 passes a gradient to the conditioning, so the label rows stay put for two steps.
  for (const double p : {0.0, 0.9999}) {
    LdmTrainOptions o = tiny_ldm_options(store("plain.h5"), scratch.file("out"));
    o.label_dropout = p;
    LdmTrainer trainer(o);
    const at::Tensor before = parameter_of(trainer.sit(), "y_embedder.embedding_table.weight");
    const LdmBatch batch = trainer.batch(0);
    trainer.train_step(batch);
    trainer.train_step(batch);
    EXPECT_TRUE(at::equal(parameter_of(trainer.sit(), "y_embedder.embedding_table.weight"), before));
    trainer.train_step(batch);
    const at::Tensor moved =
        (parameter_of(trainer.sit(), "y_embedder.embedding_table.weight") - before).abs().sum(1) > 0;
    ASSERT_EQ(moved.size(0), 11);
    EXPECT_EQ(moved[10].item<bool>(), p > 0) << "null row, dropout " << p;
    for (int64_t label = 0; label < 10; ++label) {
      const bool in_batch = (batch.labels == label).any().item<bool>();
      EXPECT_EQ(moved[label].item<bool>(), p == 0 && in_batch) << "class " << label << ", dropout " << p;
    }
  }
}

TEST_F(LdmTrainerTest, RepaTermOnlyWhenAskedAndItTrainsTheProjector) {
  LdmTrainOptions o = tiny_ldm_options(store("images.h5"), scratch.file("out"));
  o.dataset = ldm_testing::kLdmTestDataset;
  LdmTrainer with(o, std::make_shared<PooledTeacher>());
  ASSERT_TRUE(with.repa());
  EXPECT_EQ(with.sit().config().z_dims, std::vector<int64_t>{8});
  const at::Tensor before = parameter_of(with.sit(), "projectors.0.0.weight");
  const LossTerms terms = with.train_step(with.batch(0));
  // −cos averaged over tokens: in [−1, 1]; the total adds half of it.
  EXPECT_GE(ldm_term(terms, "repa"), -1.0);
  EXPECT_LE(ldm_term(terms, "repa"), 1.0);
  EXPECT_NEAR(ldm_term(terms, "total"), ldm_term(terms, "denoise") + 0.5 * ldm_term(terms, "repa"), 1e-6);
  EXPECT_GT((parameter_of(with.sit(), "projectors.0.0.weight") - before).abs().max().item<double>(), 0);

  o.dataset.clear();  // auto without images: off, and no projector is built
  LdmTrainer without(o, std::make_shared<PooledTeacher>());
  EXPECT_FALSE(without.repa());
  EXPECT_TRUE(without.sit().config().z_dims.empty());
  EXPECT_FALSE(ldm_has_term(without.train_step(without.batch(0)), "repa"));
}

TEST_F(LdmTrainerTest, FinalWeightsCarryTheStoreNormalisation) {
  LdmTrainOptions o = tiny_ldm_options(store("plain.h5"), scratch.file("out"));
  o.steps = 1;
  o.ema = 0.99;
  LdmTrainer trainer(o);
  trainer.run();
  store::StoreReader reader(store("plain.h5"));
  models::SiTLoadReport report;
  const models::SiT sit = models::SiT::load(scratch.file("out/sit.safetensors"), {}, &report);
  const auto norm = diffusion::read_latent_norm(scratch.file("out/sit.safetensors"), report, 4);
  EXPECT_EQ(norm.mean, reader.info().channel_mean);
  EXPECT_EQ(norm.std, reader.info().channel_std);
  EXPECT_EQ(norm.vae_sha256, reader.info().header.identity.vae_sha256);
  EXPECT_TRUE(std::filesystem::exists(scratch.file("out/sit-raw.safetensors")));
  EXPECT_TRUE(std::filesystem::exists(scratch.file("out/log.jsonl")));
}

TEST_F(LdmTrainerTest, ScalarNormalisationIsTheLawOfTotalVariance) {
  store::StoreReader reader(store("plain.h5"));
  const auto& mean = reader.info().channel_mean;
  const auto& std = reader.info().channel_std;
  const auto scalar = ldm_latent_norm(reader.info(), "scalar", 0);
  // Recomputed from the raw rows: the variance of z = m + s·ε over all values is Var(m) + E[s²].
  const auto rows = reader.read(store::testing::iota_positions(reader.rows()));
  const double n = static_cast<double>(rows.mean.numel());
  const double m = rows.mean.to(at::kDouble).mean().item<double>();
  const double var = rows.mean.to(at::kDouble).var().item<double>() * (n - 1) / n +
                     rows.std.to(at::kDouble).pow(2).mean().item<double>();
  EXPECT_NEAR(scalar.mean[0], m, 1e-9);
  EXPECT_NEAR(scalar.std[0], std::sqrt(var), 2e-3);  // the store's per-channel N − 1 denominators
  EXPECT_EQ(scalar.mean.size(), mean.size());
  const auto fixed = ldm_latent_norm(reader.info(), "fixed", 0.18215);
  EXPECT_EQ(fixed.mean, std::vector<double>(4, 0.0));
  EXPECT_NEAR(fixed.std[2], 1 / 0.18215, 1e-12);
  EXPECT_EQ(ldm_latent_norm(reader.info(), "channel", 0).std, std);
}

TEST_F(LdmTrainerTest, BadOptionsNameTheOption) {
  using latentlab::testing::problem_of;
  const std::string out = scratch.file("out");
  LdmTrainOptions o;
  EXPECT_CONTAINS(problem_of([&] { o.validate(); }, "--store"), "is required");
  for (const auto& [set, option] : std::vector<std::pair<std::function<void(LdmTrainOptions&)>, std::string>>{
           {[](LdmTrainOptions& x) { x.batch_size = 0; }, "--batch-size"},
           {[](LdmTrainOptions& x) { x.latent_norm = "global"; }, "--latent-norm"},
           {[](LdmTrainOptions& x) { x.label_dropout = 1; }, "--label-dropout"},
           {[](LdmTrainOptions& x) { x.repa = "yes"; }, "--repa"},
           {[](LdmTrainOptions& x) { x.ema = 1; }, "--ema"},
           {[](LdmTrainOptions& x) { x.precision = "fp16"; }, "--precision"},
           {[](LdmTrainOptions& x) { x.time_sampling.kind = "cosine"; }, "--time-sampling"}}) {
    LdmTrainOptions bad = o;
    bad.store = store("plain.h5");
    set(bad);
    problem_of([&] { bad.validate(); }, option);
  }
  LdmTrainOptions big = tiny_ldm_options(store("plain.h5"), out);
  big.batch_size = 64;
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(big); }, "--batch-size"), "larger than the dataset (40");
  LdmTrainOptions flip = tiny_ldm_options(store("plain.h5"), out);
  flip.random_flip = true;
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(flip); }, "--random-flip"), "cached with flips");
  LdmTrainOptions classes = tiny_ldm_options(store("plain.h5"), out);
  classes.num_classes = 5;
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(classes); }, "--num-classes"), "holds label 9");
  LdmTrainOptions repa = tiny_ldm_options(store("plain.h5"), out);
  repa.repa = "on";
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(repa); }, "--teacher"), "computed online");
  repa.dataset = "shapes:seed=1,n=40,res=32";
  EXPECT_CONTAINS(problem_of([&] { LdmTrainer t(repa, std::make_shared<PooledTeacher>()); }, "--dataset"),
                  "not the dataset");
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace latentlab::train
