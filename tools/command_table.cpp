#include "command_table.h"

#include <iostream>

#include "core/error.h"

namespace latentlab::tools {

int version_main(int argc, const char* const* argv);
int weights_main(int argc, const char* const* argv);
int smoke_main(int argc, const char* const* argv);
int stats_main(int argc, const char* const* argv);
int fid_main(int argc, const char* const* argv);
int metrics_main(int argc, const char* const* argv);
int recon_main(int argc, const char* const* argv);
int datasets_main(int argc, const char* const* argv);
int store_main(int argc, const char* const* argv);
int vae_main(int argc, const char* const* argv);
int probe_main(int argc, const char* const* argv);
int disentangle_main(int argc, const char* const* argv);
int train_vae_main(int argc, const char* const* argv);
int train_teacher_main(int argc, const char* const* argv);
int report_main(int argc, const char* const* argv);
int leaderboard_main(int argc, const char* const* argv);
int analyze_main(int argc, const char* const* argv);
int sample_main(int argc, const char* const* argv);
int pipeline_main(int argc, const char* const* argv);
#if LATENTLAB_WITH_HDF5
int cache_main(int argc, const char* const* argv);
int train_ldm_main(int argc, const char* const* argv);
#endif

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
    {"version", "Print the tool, LibTorch, CUDA, thread and BLAS versions in use", version_main},
    {"weights", "Inspect weight files (safetensors, .pth/.pt, .npz) or convert them to safetensors", weights_main,
     VerbWord::Any},
    {"datasets", "Make procedural datasets with ground-truth factors, or describe a dataset", datasets_main,
     VerbWord::Any},
    {"store", "Describe, verify or merge HDF5 latent stores", store_main, VerbWord::Any},
    {"vae", "Make a seeded random AutoencoderKL, or describe a VAE weights file", vae_main, VerbWord::Any},
#if LATENTLAB_WITH_HDF5
    {"cache", "Encode a dataset with a VAE into an HDF5 latent store (resumable)", cache_main},
#endif
    {"stats", "Make, merge or describe FID/sFID feature statistics files", stats_main, VerbWord::Any},
    {"fid", "FID between two inputs (image folders, dataset specs, ADM batches, statistics files)", fid_main},
    {"metrics", "Generative metrics (fid, sfid, is, kid, pr) of generated vs reference images", metrics_main,
     VerbWord::Merge},
    {"recon", "Reconstruction metrics of a VAE on a dataset: rFID, PSNR, SSIM, LPIPS", recon_main, VerbWord::Merge},
    {"probe", "Linear and MLP (separability) probes of latents or features on labels, attributes, factors", probe_main},
    {"disentangle", "Disentanglement scores (MIG, SAP, DCI, modularity, β-VAE, FactorVAE) of a store's latents",
     disentangle_main},
    {"train-teacher", "Train the procedural teacher (a foundation-model stand-in) on the coarse factors only",
     train_teacher_main},
    {"analyze", "Latent-space analyses: statistics, CKA/CKNNA vs a teacher, spectra, equivariance, gFID correlation",
     analyze_main, VerbWord::Any},
    {"sample", "Sample a SiT (Euler ODE / Euler-Maruyama SDE, CFG interval) and decode to an .npz or PNGs", sample_main,
     VerbWord::Merge},
    {"report", "Markdown + self-contained HTML report: leaderboards per protocol, probe tables, plots, paper tables",
     report_main},
    {"leaderboard", "Add results to a shared leaderboard file, or show it (md, csv, json)", leaderboard_main,
     VerbWord::Any},
    {"train-vae", "Train an AutoencoderKL: plain, VA-VAE (VF loss) or Send-VAE (mapper + noise + alignment)",
     train_vae_main},
#if LATENTLAB_WITH_HDF5
    {"train-ldm", "Train a SiT (+ REPA) by flow matching on a latent store; exact resume, data-parallel",
     train_ldm_main},
#endif
    {"pipeline", "The main job as resumable stages: teacher, VAEs x seeds, stores, probes, SiT, samples, report",
     pipeline_main},
    {"smoke", "Run a short end-to-end check of this build: train, save, reload, write results", smoke_main},
  };
  return list;
}

std::string known_names(const std::vector<Command>& list) {
  std::string out;
  for (const auto& c : list) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

int run_group(const std::string& group, const std::vector<Command>& verbs, int argc, const char* const* argv) {
  const std::string verb = argc > 1 ? argv[1] : "";
  if (verb.empty() || verb == "--help" || verb == "-h" || verb == "help") {
    std::cout << "Usage: latentlab " << group << " <verb> [options]\n\nVerbs:\n";
    for (const auto& v : verbs)
      std::cout << "  " << v.name << std::string(12 - std::min<size_t>(11, std::string(v.name).size()), ' ')
                << v.summary << "\n";
    std::cout << "\n`latentlab " << group << " <verb> --help` describes one verb.\n";
    return verb.empty() ? 2 : 0;
  }
  for (const auto& v : verbs) {
    if (verb == v.name) {
      std::vector<const char*> args{nullptr};
      const std::string full = group + " " + verb;
      args[0] = full.c_str();
      for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
      return v.run(static_cast<int>(args.size()), args.data());
    }
  }
  fail_usage(group + " " + verb, "unknown verb (known: {})", known_names(verbs));
}

}  // namespace latentlab::tools
