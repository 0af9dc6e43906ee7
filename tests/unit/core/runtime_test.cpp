#include "core/runtime.h"

#include <gtest/gtest.h>

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
