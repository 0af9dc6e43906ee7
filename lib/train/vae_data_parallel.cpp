// What VaeTrainer needs beyond one process (docs/distributed.md, "Data-parallel train-vae"): rank 0's weights
// everywhere, averaged gradients, SyncBatchNorm, and random draws made for the whole global batch so that n
// ranks use exactly the single process's numbers. With one process every function here is what the single
// trainer did before data parallelism existed.
#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>

#include "core/log.h"
#include "distributed/batch_split.h"
#include "distributed/module_sync.h"
#include "distributed/rank_share.h"
#include "distributed/sync_batchnorm.h"
#include "train/vae_trainer_state.h"

namespace latentlab::train {
namespace {

// `sizes` with dim 0 the global batch: the shape of one process's draw.
std::vector<int64_t> global_batch_sizes(at::IntArrayRef sizes, int64_t global_batch) {
  std::vector<int64_t> out = sizes.vec();
  out[0] = global_batch;
  return out;
}

}  // namespace

void VaeTrainer::State::join_data_parallel() {
  if (!data_parallel()) return;
  distributed::validate({source.size(), o.batch_size, static_cast<uint64_t>(o.seed)}, comm->world_size());
  distributed::broadcast_state(*comm, vae.module());  // before the EMA copies the weights
  distributed::broadcast_state(*comm, disc.module());
  if (mapper) distributed::broadcast_state(*comm, *mapper);
  if (proj) distributed::broadcast_state(*comm, *proj);
  vae_sync = std::make_unique<distributed::GradientSync>(*comm, vae_parameters());
  disc_sync = std::make_unique<distributed::GradientSync>(*comm, disc.module().parameters());
  sync_batchnorm = o.sync_batchnorm == "on";
  if (sync_batchnorm) {  // PatchGAN's and the mapper's BatchNorms see the global batch
    distributed::Communicator* c = comm.get();
    const models::BatchNormFunction global = [c](torch::nn::BatchNorm2dImpl& norm, const at::Tensor& x) {
      return distributed::sync_batch_norm(*c, norm, x);
    };
    disc.set_batch_norm(global);
    if (mapper) mapper->set_batch_norm(global);
  }
  // Before its optimiser steps a step draws from `gen` and moves BatchNorm running statistics: a rank lost
  // then must not leave them in an emergency checkpoint of the previous step.
  std::vector<at::Tensor> buffers = vae.module().buffers();
  for (const auto& b : disc.module().buffers()) buffers.push_back(b);
  if (mapper)
    for (const auto& b : mapper->buffers()) buffers.push_back(b);
  if (proj)
    for (const auto& b : proj->buffers()) buffers.push_back(b);
  recovery = StepRecovery({{"train", gen}}, std::move(buffers));
  if (comm->is_main())
    log::info("train-vae: data parallel over {} ranks ({}), {} images per rank and step, BatchNorm {}",
              comm->world_size(), comm->backend(), o.batch_size / comm->world_size(),
              sync_batchnorm ? "synchronised" : "per rank");
}

// models::DiagonalGaussian::sample's draw at the global batch size: gen stays equal on all ranks.
at::Tensor VaeTrainer::State::sample_posterior(const models::Posterior& posterior) {
  if (!data_parallel()) return posterior.sample(gen);
  const at::Tensor noise = at::randn(global_batch_sizes(posterior.mean.sizes(), o.batch_size), gen,
                                     posterior.mean.options().device(gen.device()))
                               .to(posterior.mean.device());
  return posterior.mean + posterior.std * distributed::rank_rows(noise, comm->rank(), comm->world_size());
}

// models::inject_noise's draws (t, then ε) at the global batch size.
at::Tensor VaeTrainer::State::noised_latent(const at::Tensor& normalized) {
  if (!data_parallel()) return models::inject_noise(normalized, gen).zt;
  const auto options = normalized.options().device(gen.device());
  const at::Tensor t = at::rand({o.batch_size}, gen, options).to(normalized.device());
  const at::Tensor noise =
      at::randn(global_batch_sizes(normalized.sizes(), o.batch_size), gen, options).to(normalized.device());
  const int rank = comm->rank(), world = comm->world_size();
  return models::interpolate_noise(normalized, distributed::rank_rows(t, rank, world),
                                   distributed::rank_rows(noise, rank, world));
}

void VaeTrainer::State::average_batchnorm_buffers() {
  if (!data_parallel() || sync_batchnorm) return;  // SyncBatchNorm's running statistics are equal already
  distributed::average_buffers(*comm, disc.module());
  if (mapper) distributed::average_buffers(*comm, *mapper);
}

}  // namespace latentlab::train
