// train-ldm data-parallel: two Gloo ranks on loopback (this test binary re-executed as the ranks, torchrun
// style, through tests/unit/distributed/rank_launcher.h) against one process, each training SiT-tiny/1 for 3
// AdamW steps on a global batch of 8 with an EMA (decay 0.9). Every draw is made for the global batch and each
// rank keeps its half, gradients are averaged in buckets during backward, so the weights and the EMA weights
// must agree. The tolerance 1e-6 covers the float32 summation order of the averaged gradients (measured: see
// docs/ldm.md); a rank training on the wrong rows or draws, or an unaveraged gradient, is off by > 1e-4 (one
// AdamW step at lr 1e-3). Ranks given different stores must stop at construction, naming the store.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <ATen/ATen.h>

#include "distributed/communicator.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/safetensors_compare.h"
#include "train/ldm_trainer.h"
#include "unit/train/ldm_test_store.h"

// The ranks are this binary, running only the worker tests below.
#define LATENTLAB_DISTRIBUTED_DRIVER "/proc/self/exe"
#include "unit/distributed/rank_launcher.h"

namespace latentlab::train {
namespace {

constexpr const char* kWorkerVariable = "LATENTLAB_LDM_DP_WORKER";  // "<scratch dir>:<run name>"
const std::vector<std::string> kWorkerArguments{"--gtest_filter=LdmDataParallelWorker.Train"};

std::vector<double> read_weights(const std::string& path) {
  const std::string bytes = latentlab::testing::read_text(path);
  std::vector<double> values(bytes.size() / sizeof(double));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(double));
  return values;
}

TEST(LdmDataParallel, TwoGlooRanksEqualOneProcess) {
  latentlab::testing::ScratchDir scratch;
  ldm_testing::write_ldm_store(scratch.file("latents.h5"), 32);
  setenv(kWorkerVariable, (scratch.path() + ":single").c_str(), 1);
  latentlab::testing::RankRun single = latentlab::testing::run_single(scratch, kWorkerArguments);
  setenv(kWorkerVariable, (scratch.path() + ":job").c_str(), 1);
  const auto job = latentlab::testing::run_job(scratch, kWorkerArguments, 2, 120);
  unsetenv(kWorkerVariable);
  ASSERT_EQ(single.exit_code, 0) << single.out() << single.err();
  for (const auto& rank : job) ASSERT_EQ(rank.exit_code, 0) << rank.out() << rank.err();

  const std::vector<double> one = read_weights(scratch.file("single.bin")), two = read_weights(scratch.file("job.bin"));
  ASSERT_EQ(one.size(), two.size());
  ASSERT_GT(one.size(), 1000u);
  double largest = 0;
  for (size_t i = 0; i < one.size(); ++i) largest = std::max(largest, std::abs(one[i] - two[i]));
  EXPECT_LE(largest, 1e-6);
  std::cout << "largest weight difference, 2 ranks vs 1 process: " << largest << "\n";
  // sit.safetensors holds the EMA weights (rank 0 writes it), sit-raw.safetensors the trained ones.
  const double ema =
      testing::max_safetensors_difference(scratch.file("single/sit.safetensors"), scratch.file("job/sit.safetensors"));
  std::cout << "largest EMA weight difference, 2 ranks vs 1 process: " << ema << "\n";
  EXPECT_LE(ema, 1e-6);
  EXPECT_GT(
      testing::max_safetensors_difference(scratch.file("job/sit.safetensors"), scratch.file("job/sit-raw.safetensors")),
      1e-4)
      << "the EMA is not the trained weights (the comparison is not vacuous)";
}

// Each rank opens its own copy of the store: copies with other rows, or the same rows but other channel
// statistics, stop every rank at construction with one line naming its store; equal copies train.
TEST(LdmDataParallel, RanksWithDifferentStoresStop) {
  latentlab::testing::ScratchDir scratch;
  store::StoreIdentity id = store::testing::test_identity(store::LatentDType::Float32, false, 0, {});
  id.latent_shape = {4, 8, 8};
  store::testing::write_store(scratch.file("a32.h5"), id, store::testing::iota_positions(32), 16);
  store::testing::write_store(scratch.file("a48.h5"), id, store::testing::iota_positions(48), 16);
  store::testing::write_store(scratch.file("b32.h5"), id, store::testing::iota_positions(32), 16, {}, 2);
  setenv(kWorkerVariable, (scratch.path() + ":stores").c_str(), 1);
  const auto job =
      latentlab::testing::run_job(scratch, {"--gtest_filter=LdmDataParallelWorker.DifferentStores"}, 2, 120);
  unsetenv(kWorkerVariable);
  for (const auto& rank : job) EXPECT_EQ(rank.exit_code, 0) << rank.out() << rank.err();
  std::cout << job[1].out();
}

// Runs only inside the ranks launched above (skipped in a normal test run).
TEST(LdmDataParallelWorker, Train) {
  const char* spec = std::getenv(kWorkerVariable);
  if (!spec) GTEST_SKIP() << "a rank of LdmDataParallel.TwoGlooRanksEqualOneProcess";
  const std::string text = spec, dir = text.substr(0, text.rfind(':')), name = text.substr(text.rfind(':') + 1);
  distributed::DistributedOptions dist;
  dist.timeout_s = 60;
  const auto communicator = distributed::Communicator::from_environment(dist);
  LdmTrainOptions o = ldm_testing::tiny_ldm_options(dir + "/latents.h5", dir + "/" + name);
  o.steps = 3;
  o.checkpoint_every = 100;
  o.ema = 0.9;  // EMA weights must stay equal on every rank too
  LdmTrainer trainer(o, nullptr, communicator.get());
  trainer.run();
  if (!communicator->is_main()) return;
  std::ofstream out(dir + "/" + name + ".bin", std::ios::binary);
  for (const auto& [tensor_name, array] : trainer.sit().state_arrays()) {
    const at::Tensor values = io::to_tensor(array).to(at::kDouble).contiguous();
    out.write(reinterpret_cast<const char*>(values.data_ptr<double>()), values.numel() * sizeof(double));
  }
}

// The ranks of LdmDataParallel.RanksWithDifferentStoresStop: rank r reads stores[r] in each case.
TEST(LdmDataParallelWorker, DifferentStores) {
  const char* spec = std::getenv(kWorkerVariable);
  if (!spec) GTEST_SKIP() << "a rank of LdmDataParallel.RanksWithDifferentStoresStop";
  const std::string text = spec, dir = text.substr(0, text.rfind(':'));
  distributed::DistributedOptions dist;
  dist.timeout_s = 60;
  const auto communicator = distributed::Communicator::from_environment(dist);
  const int rank = communicator->rank();
  const auto construct = [&](const std::string& store0, const std::string& store1) {
    const std::string store = dir + "/" + (rank == 0 ? store0 : store1);
    LdmTrainer trainer(ldm_testing::tiny_ldm_options(store, dir + "/out"), nullptr, communicator.get());
    return store;
  };
  const std::string rows =
      latentlab::testing::problem_of([&] { construct("a32.h5", "a48.h5"); }, dir + (rank == 0 ? "/a32.h5" : "/a48.h5"));
  EXPECT_CONTAINS(rows, "the ranks' latent stores differ (rows 32 to 48); every rank must read the same store");
  const std::string statistics =
      latentlab::testing::problem_of([&] { construct("a32.h5", "b32.h5"); }, dir + (rank == 0 ? "/a32.h5" : "/b32.h5"));
  EXPECT_CONTAINS(statistics, "(channel 0 normalisation mean ");
  construct("a32.h5", "a32.h5");  // the same store: no error
  std::cout << "rank " << rank << ": " << rows << "\n"
            << "rank " << rank << ": " << statistics << "\n";
}

}  // namespace
}  // namespace latentlab::train
