// The stages of `latentlab pipeline` (docs/reproducing.md): dataset -> teacher -> one VAE per config and seed ->
// its latent store -> recon, probe, disentangle, analyze -> train-ldm -> sample -> FD of the samples -> report.
// Each stage is one invocation of another latentlab command; its folder is OUT/stages/NAME.
#pragma once

#include <string>
#include <vector>

#include "pipeline_stage.h"

namespace latentlab {
class OptionGroup;
}

namespace latentlab::tools {

struct PipelineOptions {
  std::string out = "demo-out";
  std::string title = "latentlab demo";
  // The evaluation images: the dataset stage writes them as PNG + attributes CSV, and every store encodes them.
  int dataset_n = 1024;
  int dataset_res = 32;
  int dataset_seed = 1;
  int recon_n = 256;  // images of the reconstruction metrics (the first ones of the evaluation set)
  std::string teacher_config = "configs/demo/teacher.ini";
  std::vector<std::string> vaes;  // NAME=CONFIG, in order; the name labels the VAE in the report
  std::string seeds = "0";        // comma list; every VAE config is trained once per seed
  std::string ldm_config = "configs/demo/ldm-quick.ini";
  // Extra arguments for every invocation of a stage kind (split at spaces): shorter runs, smaller probes.
  std::string skip;  // stage kinds not to run: recon, probe, disentangle, analyze, train-ldm, sample, fd
  std::string teacher_args, vae_args, cache_args, recon_args, probe_args, disentangle_args, analyze_args, ldm_args,
      sample_args, fd_args;

  void register_options(OptionGroup& g);
};

struct VaeRun {
  std::string name;    // "send-vae"
  std::string config;  // its train-vae INI
  int64_t seed = 0;
  std::string id() const;  // "send-vae-s0"
};

// The VAE runs (every config x every seed); errors name --vae or --seeds.
std::vector<VaeRun> vae_runs(const PipelineOptions& options);

// The dataset spec of the evaluation images ("shapes:seed=1,n=1024,res=32").
std::string eval_spec(const PipelineOptions& options);

// Every stage in dependency order. Stages this build cannot run, and those --skip names (with what depends on
// them: train-ldm -> sample -> fd), carry `unavailable`. The summary and report
// are not stages of this list: the command computes the summary itself and runs `report` last.
std::vector<Stage> plan_stages(const PipelineOptions& options, const std::vector<VaeRun>& runs);

// Stage folder and output paths, shared with the summary.
std::string stage_dir(const PipelineOptions& options, const std::string& stage_name);

}  // namespace latentlab::tools
