#include "core/runtime.h"

#include <gtest/gtest.h>

#include <tuple>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/log.h"
#include "core/version.h"

namespace latentlab {
namespace {

TEST(Runtime, ThreadsDefaultToAllCoresAndSeedRepeats) {
  RuntimeOptions options;
  options.seed = 11;
  auto runtime = apply_runtime(options);
  EXPECT_EQ(runtime.threads, available_cores());
  EXPECT_EQ(at::get_num_threads(), available_cores());
  auto a = at::randn({5});
  apply_runtime(options);
  EXPECT_TRUE(at::equal(a, at::randn({5})));
  log::set_level(log::Level::Info);
}

TEST(Runtime, DeviceStrings) {
  EXPECT_EQ(resolve_device("cpu"), "cpu");
#ifndef LATENTLAB_WITH_CUDA
  EXPECT_EQ(resolve_device("auto"), "cpu");
  EXPECT_THROW(resolve_device("cuda"), UserError);
#endif
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda0", "cuda:1234"}) {
    try {
      resolve_device(bad);
      FAIL() << bad;
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), "--device");
    }
  }
}

// The device under a launcher, as a pure function of the visible GPU count (no GPU needed here).
TEST(Runtime, LocalRankPicksTheGpuUnderALauncher) {
  const DevicePlacement rank1{/*local_rank=*/1, /*world_size=*/2};
  EXPECT_EQ(resolve_device("cuda", 2, rank1), "cuda:1");
  EXPECT_EQ(resolve_device("auto", 2, rank1), "cuda:1");
  EXPECT_EQ(resolve_device("cuda:0", 2, rank1), "cuda:0");  // an explicit index is kept
  EXPECT_EQ(resolve_device("cpu", 2, rank1), "cpu");
  EXPECT_EQ(resolve_device("auto", 0, rank1), "cpu");
  EXPECT_THROW(resolve_device("cuda", 0, rank1), UserError);
  EXPECT_EQ(resolve_device("cuda", 1, rank1), "cuda:0");  // the launcher shows each rank only its own GPU
  EXPECT_EQ(resolve_device("cuda", 4, DevicePlacement{5, 8}), "cuda:1");  // more ranks than GPUs: shared
  // No launcher: cuda:0 as before (LOCAL_RANK unset, or a single process).
  EXPECT_EQ(resolve_device("cuda", 2, DevicePlacement{-1, 2}), "cuda:0");
  EXPECT_EQ(resolve_device("auto", 2, DevicePlacement{1, 1}), "cuda:0");
  EXPECT_EQ(resolve_device("cuda", 2, DevicePlacement{}), "cuda:0");
  try {
    resolve_device("cuda:2", 2, rank1);
    FAIL() << "cuda:2 of 2";
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "--device");
  }
}

TEST(Runtime, GpuOfLocalRankServesBothLaunchStyles) {  // --device and the NCCL communicator share it
  EXPECT_EQ(gpu_of_local_rank(3, 8), 3);               // torchrun: every GPU visible to every rank
  EXPECT_EQ(gpu_of_local_rank(3, 1), 0);               // Slurm --gpus-per-task=1: each rank sees only its own
  EXPECT_EQ(gpu_of_local_rank(9, 8), 1);               // more ranks than GPUs: shared (with a warning)
  EXPECT_EQ(gpu_of_local_rank(0, 0), 0);
}

TEST(Runtime, DevicePlacementFromTheVariables) {
  const DevicePlacement placement = parse_device_placement("3", "8");
  EXPECT_EQ(placement.local_rank, 3);
  EXPECT_EQ(placement.world_size, 8);
  EXPECT_TRUE(placement.applies());
  EXPECT_FALSE(parse_device_placement(nullptr, "8").applies());
  EXPECT_FALSE(parse_device_placement("0", nullptr).applies());
  EXPECT_FALSE(parse_device_placement(nullptr, nullptr).applies());
  for (const auto& [local_rank, world_size, variable] : {std::tuple{"x", "2", "LOCAL_RANK"},
                                                         {"-1", "2", "LOCAL_RANK"},
                                                         {"", "2", "LOCAL_RANK"},
                                                         {"0", "2x", "WORLD_SIZE"}}) {
    try {
      parse_device_placement(local_rank, world_size);
      FAIL() << local_rank << " " << world_size;
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), variable);
    }
  }
}

TEST(Runtime, NegativeThreadsRejected) {
  RuntimeOptions options;
  options.threads = -1;
  EXPECT_THROW(apply_runtime(options), UserError);
}

TEST(Version, ReportsTorchBlasAndThreads) {
  at::set_num_threads(2);
  const auto info = version_info();
  EXPECT_EQ(info.torch.rfind("1.", 0) == 0 || info.torch.rfind("2.", 0) == 0, true) << info.torch;
  EXPECT_EQ(info.threads, 2);
  EXPECT_FALSE(info.blas.empty());
  EXPECT_NE(std::string(git_commit()), "");
  const std::string text = to_text(info);
  EXPECT_NE(text.find("LibTorch:"), std::string::npos);
  EXPECT_NE(text.find("BLAS:"), std::string::npos);
}

}  // namespace
}  // namespace latentlab
