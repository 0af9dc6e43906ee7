// train-vae data parallel with SyncBatchNorm: two Gloo ranks on loopback (this test binary re-executed as the
// ranks, torchrun style, through tests/unit/distributed/rank_launcher.h) against one process, each training
// Send-VAE with the GAN on (PatchGAN's BatchNorms and the mapper's latent BatchNorm synchronised) for 3 steps
// on a global batch of 4 across an epoch boundary. The posterior and noise-injection draws are made for the
// global batch and each rank keeps its rows, gradients are averaged, and every BatchNorm normalises with the
// global batch's statistics, so weights and BatchNorm running statistics must agree with one process within
// 1e-6 (float32 summation order). AdamW runs with ε = 1 for the reason tests/integration/
// shard_train_vae_cli_test.cpp gives. Per-rank BatchNorm (--sync-batchnorm off) is off by ~1e-4 here
// (DISABLED_ test below, run by hand: docs/distributed.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <ATen/ATen.h>

#include "distributed/communicator.h"
#include "io/tensor_convert.h"
#include "train/checkpoint.h"
#include "train/vae_trainer.h"
#include "unit/train/vae_test_data.h"

// The ranks are this binary, running only the worker test below.
#define LATENTLAB_DISTRIBUTED_DRIVER "/proc/self/exe"
#include "unit/distributed/rank_launcher.h"

namespace latentlab::train {
namespace {

constexpr const char* kVaeWorkerVariable = "LATENTLAB_VAE_DP_WORKER";  // "<scratch dir>:<run name>:<sync on|off>"
const std::vector<std::string> kVaeWorkerArguments{"--gtest_filter=VaeDataParallelWorker.Train"};

// Runs the worker as one process and as a 2-rank job; returns the largest difference of any float tensor of
// the trained state (VAE, EMA, discriminator, mapper, BatchNorm running statistics) at the last step.
double vae_one_versus_two(const std::string& sync) {
  latentlab::testing::ScratchDir scratch;
  setenv(kVaeWorkerVariable, (scratch.path() + ":single:on").c_str(), 1);
  latentlab::testing::RankRun single = latentlab::testing::run_single(scratch, kVaeWorkerArguments);
  setenv(kVaeWorkerVariable, (scratch.path() + ":job:" + sync).c_str(), 1);
  const auto job = latentlab::testing::run_job(scratch, kVaeWorkerArguments, 2, 120);
  unsetenv(kVaeWorkerVariable);
  EXPECT_EQ(single.exit_code, 0) << single.out() << single.err();
  for (const auto& rank : job) EXPECT_EQ(rank.exit_code, 0) << rank.out() << rank.err();

  const Checkpoint one = read_checkpoint(checkpoint_path(scratch.file("single/checkpoints"), 3));
  const Checkpoint two = read_checkpoint(checkpoint_path(scratch.file("job/checkpoints"), 3));
  EXPECT_EQ(one.tensors.size(), two.tensors.size());
  double largest = 0;
  int compared = 0, running_stats = 0;
  for (size_t i = 0; i < std::min(one.tensors.size(), two.tensors.size()); ++i) {
    const auto& [name, array] = one.tensors[i];
    EXPECT_EQ(name, two.tensors[i].first);
    if (array.dtype != io::DType::F32 || name.rfind("rng.", 0) == 0) continue;
    const at::Tensor a = io::to_tensor(array).to(at::kDouble), b = io::to_tensor(two.tensors[i].second).to(at::kDouble);
    largest = std::max(largest, (a - b).abs().max().item<double>());
    ++compared;
    running_stats += name.find("running_") != std::string::npos;
  }
  EXPECT_GT(compared, 40);
  EXPECT_EQ(running_stats, 6);  // the mapper's and PatchGAN's two BatchNorms: mean and variance each
  std::cout << "largest state difference, 2 ranks (BatchNorm sync " << sync << ") vs 1 process: " << largest << "\n";
  return largest;
}

TEST(VaeDataParallel, SyncBatchNormGanSendVaeTwoRanksEqualOneProcess) {
  EXPECT_LE(vae_one_versus_two("on"), 1e-6);
}

// By hand (--gtest_also_run_disabled_tests): the size of the per-rank BatchNorm difference SyncBatchNorm removes.
TEST(VaeDataParallel, DISABLED_PerRankBatchNormDiffers) {
  EXPECT_GT(vae_one_versus_two("off"), 1e-5);
}

// Runs only inside the processes launched above (skipped in a normal test run).
TEST(VaeDataParallelWorker, Train) {
  const char* spec = std::getenv(kVaeWorkerVariable);
  if (!spec) GTEST_SKIP() << "a rank of VaeDataParallel.SyncBatchNormGanSendVaeTwoRanksEqualOneProcess";
  const std::string text = spec;
  const size_t first = text.find(':'), second = text.find(':', first + 1);
  const std::string dir = text.substr(0, first), name = text.substr(first + 1, second - first - 1);
  distributed::DistributedOptions dist;
  dist.timeout_s = 60;
  std::shared_ptr<distributed::Communicator> communicator = distributed::Communicator::from_environment(dist);
  VaeTrainOptions o = vae_testing::aligned_options(dir + "/" + name, "sendvae");
  o.steps = 3;
  o.checkpoint_every = 100;
  o.grid_images = 0;
  o.gan_weight = 0.5;
  o.lr = 0.02;
  o.adam_eps = 1;
  o.ema = 0.9;
  o.sync_batchnorm = text.substr(second + 1);
  o.validate();
  vae_testing::GradientImages data(8);  // 2 global batches per epoch: step 3 starts the second epoch
  VaeTrainer trainer(o, data, std::make_shared<vae_testing::PooledPixelTeacher>(), communicator);
  trainer.run();
}

}  // namespace
}  // namespace latentlab::train
