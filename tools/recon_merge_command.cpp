// latentlab recon merge: the reconstruction metrics of a sharded `latentlab recon --shard i/n` run, from its
// shards' results JSONs and recon shard files (metrics/reconstruction/recon_shard.h), equal to one process's.
#include <iostream>

#include "io/results_json.h"
#include "metrics/evaluate/shard_file.h"
#include "metrics/reconstruction/recon_shard.h"
#include "shard_merge_setup.h"

namespace latentlab::tools {

int recon_merge_main(int argc, const char* const* argv) {
  ShardMergeSetup setup;
  if (!setup.parse({"recon merge",
                    "Computes the reconstruction metrics of a `latentlab recon --shard i/n` run from all its "
                    "shards: per-image PSNR, SSIM and LPIPS put back in dataset order (means equal one process's "
                    "exactly) and the rFID moments merged (rFID equal to float64 rounding).",
                    "latentlab recon merge SHARD.json [SHARD.json ...] [--out results.json]",
                    "latentlab recon merge r0.json r1.json r2.json --out recon.json",
                    "latentlab recon, latentlab metrics merge"},
                   "The shards' results JSONs (recon --shard i/n --out X.json), any order", argc, argv))
    return 0;
  std::vector<std::string> files;
  std::vector<io::InputRecord> inputs;  // the weights as the shards saw them (the files may live elsewhere)
  for (const auto& path : setup.shards) {
    const nlohmann::json document = io::read_results(path);
    files.push_back(metrics::shard_file_of(path, document, "recon"));
    if (inputs.empty()) inputs = metrics::input_records(document);
  }
  const auto merged = metrics::merge_recon_shards(files);
  const nlohmann::json results = metrics::reconstruction_results(merged.parts);
  for (const auto& path : setup.shards) inputs.push_back(io::describe_input("shard", path));
  if (!setup.out.empty())
    io::write_results(setup.out, io::make_results(setup.context, merged.protocol, inputs, results));
  std::cout << metrics::summarize_reconstruction(results);
  return 0;
}

}  // namespace latentlab::tools
