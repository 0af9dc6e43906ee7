// The GPU build computes what the CPU build computes: AutoencoderKL encode and decode on CUDA against the
// CPU on the same seeded weights and images, in fp32 with TF32 off (cuDNN's convolutions otherwise round
// their inputs to 10-bit mantissas). Skipped without a CUDA device; run by tools/gpu-check.sh.
#include <gtest/gtest.h>

#include <cstdio>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/compat.h"
#include "models/autoencoder_kl.h"
#include "support/tensor_compare.h"

namespace latentlab::models {
namespace {

using testing::max_abs_diff;

TEST(CudaAgreement, AutoencoderKLEncodeDecode) {
  if (compat::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(3);
  AutoencoderKL model(AutoencoderKLConfig::preset_config("small-f8d8"));
  const auto images = at::rand({4, 3, 64, 64}) * 2 - 1;
  c10::InferenceMode inference;
  const auto cpu = model.encode(images);
  const auto cpu_decoded = model.decode(cpu.mean);

  model.to(at::Device("cuda:0"));
  const auto gpu_images = images.to(at::Device("cuda:0"));
  const auto gpu_latent = cpu.mean.to(at::Device("cuda:0"));
  {
    compat::TF32Scope fp32(false);
    const auto gpu = model.encode(gpu_images);
    const double mean = max_abs_diff(cpu.mean, gpu.mean), logvar = max_abs_diff(cpu.logvar, gpu.logvar);
    const double decoded = max_abs_diff(cpu_decoded, model.decode(gpu_latent));
    std::printf("fp32: max |cpu - cuda| mean %.3g logvar %.3g decode %.3g\n", mean, logvar, decoded);
    EXPECT_LT(mean, 1e-4);
    EXPECT_LT(logvar, 1e-4);
    EXPECT_LT(decoded, 1e-4);
  }
  {  // what PyTorch's default (TF32 convolutions) costs, for docs/gpu.md: reported, not asserted
    compat::TF32Scope tf32(true);
    const auto gpu = model.encode(gpu_images);
    std::printf("tf32: max |cpu - cuda| mean %.3g decode %.3g\n", max_abs_diff(cpu.mean, gpu.mean),
                max_abs_diff(cpu_decoded, model.decode(gpu_latent)));
  }
}

}  // namespace
}  // namespace latentlab::models
