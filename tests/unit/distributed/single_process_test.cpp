// Without WORLD_SIZE every service is a no-op: a trainer runs the same code as one process.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/batchnorm.h>

#include "distributed/checkpoint_sync.h"
#include "distributed/communicator.h"
#include "distributed/gradient_sync.h"
#include "distributed/module_sync.h"
#include "support/expect_user_error.h"

namespace latentlab::distributed {
namespace {

TEST(SingleProcess, CollectivesLeaveTensorsAlone) {
  Communicator communicator;
  EXPECT_FALSE(communicator.distributed());
  EXPECT_TRUE(communicator.is_main());
  EXPECT_EQ(communicator.backend(), "none");
  EXPECT_EQ(communicator.device(), "cpu");
  at::Tensor t = at::arange(4, at::kFloat);
  communicator.broadcast(t, 0);
  communicator.all_reduce(t);
  communicator.all_reduce_async(t).wait();
  communicator.barrier("test");
  EXPECT_TRUE(at::equal(t, at::arange(4, at::kFloat)));
  average_tensors(communicator, {t});
  EXPECT_TRUE(at::equal(t, at::arange(4, at::kFloat)));
  EXPECT_EQ(max_difference_from_rank0(communicator, {t}), 0);
  require_identical(communicator, 3, {t}, "state");
}

TEST(SingleProcess, GradientsStayAsBackwardWroteThem) {
  Communicator communicator;
  at::Tensor w = at::ones({3}, at::kDouble).requires_grad_();
  GradientSync sync(communicator, {w}, GradientSyncOptions{8, true});
  EXPECT_EQ(sync.bucket_count(), 0u);
  sync.prepare();
  (w * at::arange(3, at::kDouble)).sum().backward();
  sync.finish();
  EXPECT_TRUE(at::equal(w.grad(), at::arange(3, at::kDouble)));
}

TEST(SingleProcess, CheckpointWriteRunsOnceAndBuffersStay) {
  Communicator communicator;
  int writes = 0;
  write_on_rank0(communicator, "ckpt", [&] { ++writes; });
  EXPECT_EQ(writes, 1);
  torch::nn::BatchNorm1d norm(2);
  norm->running_mean.fill_(0.5);
  average_buffers(communicator, *norm);
  broadcast_state(communicator, *norm);
  EXPECT_TRUE(at::allclose(norm->running_mean, at::full({2}, 0.5)));
}

TEST(SingleProcess, BadOptionsNameTheOption) {
  DistributedOptions options;
  options.timeout_s = 0;
  LaunchEnv env;
  EXPECT_CONTAINS(testing::problem_of([&] { Communicator(env, options); }, "--dist-timeout"),
                  "not a positive number of seconds");
  env.world_size = 2;
  options.timeout_s = 1;
  options.backend = "mpi";
  EXPECT_CONTAINS(testing::problem_of([&] { Communicator(env, options); }, "--dist-backend"),
                  "'mpi' is not one of auto, gloo, nccl");
}

}  // namespace
}  // namespace latentlab::distributed
