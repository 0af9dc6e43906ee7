// The pipeline's answer to the study question: per VAE config, the mean ± std over seeds of the linear probe
// accuracy on the fine factors (rotation, scale, x, y, texture) and the coarse ones (shape, hue, background),
// reconstruction, disentanglement and the FD of its samples; whether Send-VAE keeps the fine factors separable
// compared with VA-VAE; and whether fine-factor separability tracks generation quality (Pearson/Spearman vs FD).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latentlab::tools {

// One trained VAE's results files (a path that does not exist is a result not produced).
struct RunResults {
  std::string name;  // the VAE config's label ("send-vae")
  int64_t seed = 0;
  std::string probe, recon, disentangle, fd;
};

struct Summary {
  nlohmann::json results;  // {name: {metric: mean, metric_std: std, runs: n}, ..., "fd_correlation": {...}}
  std::string markdown;    // the table and the two answers in words
};

// `notes` are lines about stages that did not run ("train-ldm-plain-s0: not available in this build: ...").
Summary summarize(const std::vector<RunResults>& runs, const std::vector<std::string>& notes);

// Mean and sample standard deviation (ddof 1; 0 for one value).
std::pair<double, double> mean_std(const std::vector<double>& values);

}  // namespace latentlab::tools
