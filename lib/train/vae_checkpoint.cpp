// VaeTrainer's files: checkpoints (everything an exact resume needs), resuming from one, and the final weights.
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "distributed/module_sync.h"
#include "models/module_state.h"
#include "train/checkpoint.h"
#include "train/optimizer_state.h"
#include "train/rng_state.h"
#include "train/vae_trainer_state.h"

namespace latentlab::train {

void VaeTrainer::save_checkpoint() {
  State& s = *s_;
  Checkpoint c;
  c.step = s.step;
  c.state = {{"epoch", s.epoch},
             {"position", s.position},
             {"mode", s.o.mode},
             {"dataset", s.source.info().spec},
             {"batch_size", s.o.batch_size},
             {"world_size", s.comm->world_size()},
             {"vae_config", s.vae.config().to_json()},
             {"teacher", s.teacher ? s.teacher->description() : ""}};
  append_prefixed(c.tensors, "vae.", s.vae.state_arrays());
  append_prefixed(c.tensors, "disc.", s.disc.state_arrays());
  if (s.mapper) append_prefixed(c.tensors, "mapper.", models::module_state_arrays(*s.mapper));
  if (s.proj) append_prefixed(c.tensors, "proj.", models::module_state_arrays(*s.proj));
  if (s.ema) append_prefixed(c.tensors, "ema.", s.ema->state_arrays());
  c.tensors.emplace_back("optim.vae", optimizer_state_array(*s.vae_opt));
  c.tensors.emplace_back("optim.disc", optimizer_state_array(*s.disc_opt));
  append_prefixed(c.tensors, "", capture_rng_states({{"train", s.gen}}));
  s.last_checkpoint = write_checkpoint_on_rank0(*s.comm, s.checkpoint_dir(), c, s.o.keep_checkpoints);
}

int64_t VaeTrainer::resume() {
  State& s = *s_;
  const auto found = checkpoint_to_resume(s.o.resume, s.checkpoint_dir());
  // Every rank must take part in the identity check, fresh or resumed (a rank that found no checkpoint
  // where rank 0 found one stops the job instead of training from step 0).
  const auto checked = [&](int64_t step) {
    if (s.data_parallel())
      distributed::require_identical(*s.comm, step, s.trained_parameters(), found ? *found : "the initial weights");
    return step;
  };
  if (!found) return checked(0);
  const std::string& path = *found;
  const Checkpoint c = read_checkpoint(path);
  const std::string mode = c.state.value("mode", "");
  if (mode != s.o.mode) fail(path, "was written with mode '{}', this run has mode '{}'", mode, s.o.mode);
  if (c.state.value("dataset", "") != s.source.info().spec || c.state.value("batch_size", 0) != s.o.batch_size)
    log::warn("train-vae: {} was written for dataset {} at batch size {}; the data order will differ", path,
              c.state.value("dataset", "?"), c.state.value("batch_size", 0));
  s.vae.load_state(select_prefixed(c.tensors, "vae."), path);
  s.disc.load_state(select_prefixed(c.tensors, "disc."), path);
  if (s.mapper) models::load_module_state(*s.mapper, select_prefixed(c.tensors, "mapper."), path, "Send-VAE mapper");
  if (s.proj) models::load_module_state(*s.proj, select_prefixed(c.tensors, "proj."), path, "VF projection");
  if (s.ema) {
    const auto shadow = select_prefixed(c.tensors, "ema.");
    if (shadow.empty()) fail(path, "holds no EMA weights but --ema is {}", s.o.ema);
    s.ema->load_state(shadow, path);
  }
  load_optimizer_state(*s.vae_opt, find_array(c.tensors, "optim.vae", path), path);
  load_optimizer_state(*s.disc_opt, find_array(c.tensors, "optim.disc", path), path);
  restore_rng_states(c.tensors, {{"train", s.gen}}, path);
  s.step = c.step;
  s.epoch = c.state.value("epoch", int64_t{0});
  s.position = c.state.value("position", int64_t{0});
  s.last_checkpoint = path;
  log::info("train-vae: resumed from {} (step {}, epoch {}, position {})", path, s.step, s.epoch, s.position);
  return checked(s.step);
}

void VaeTrainer::save_final() {
  State& s = *s_;
  s.vae.save(s.o.out + "/vae.safetensors");
  if (s.ema) {
    models::AutoencoderKL averaged(s.vae.config());
    s.ema->copy_to(averaged.module());
    averaged.save(s.o.out + "/vae-ema.safetensors");
  }
  s.disc.save(s.o.out + "/disc.safetensors");
  if (s.mapper)
    models::save_model_safetensors(s.o.out + "/mapper.safetensors", models::module_state_arrays(*s.mapper),
                                   "latentlab.sendvae_mapper.config",
                                   nlohmann::json{{"patch_size", s.mapper->config().patch_size},
                                                  {"width", s.mapper->config().width},
                                                  {"depth", s.mapper->config().depth},
                                                  {"heads", s.mapper->config().heads},
                                                  {"teacher_width", s.mapper->config().teacher_width}}
                                       .dump());
  if (s.proj)
    models::save_model_safetensors(s.o.out + "/linear_proj.safetensors", models::module_state_arrays(*s.proj),
                                   "latentlab.vf_projection.config",
                                   nlohmann::json{{"teacher_width", s.teacher->width()}}.dump());
}

}  // namespace latentlab::train
