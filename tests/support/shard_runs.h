// Sharded end-to-end runs and their merges (`latentlab metrics|recon … --shard i/n`, then `… merge`), shared by
// tests/integration/metrics_shard_cli_test.cpp and recon_shard_cli_test.cpp. For tests/integration only (it
// runs the latentlab binary). Commands run with --quiet and one OpenMP/intra-op thread: ctest runs two tests
// side by side on the 2-core CI machine.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::testing {

// `latentlab ARGS --quiet --threads 1` under OMP_NUM_THREADS=1.
inline CommandResult latentlab_quiet(const std::string& args) {
  return run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args + " --quiet --threads 1");
}

inline nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_text(path));
}

// Runs `args --shard i/n --out <dir>/<stem><i>.json` for i = 0 … n-1; returns the results files in shard order.
inline std::vector<std::string> run_shards(const std::string& args, int n, const ScratchDir& dir,
                                           const std::string& stem) {
  std::vector<std::string> parts;
  for (int i = 0; i < n; ++i) {
    parts.push_back(dir.file(stem + std::to_string(i) + ".json"));
    const auto r =
        latentlab_quiet(args + " --shard " + std::to_string(i) + "/" + std::to_string(n) + " --out " + parts.back());
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  return parts;
}

// `latentlab <command> merge <shards> --out <out>` (shards: space-separated results files, in any order).
inline CommandResult merge_shards(const std::string& command, const std::string& shards, const std::string& out) {
  return latentlab_quiet(command + " merge " + shards + " --out " + out);
}

// The listed results are the same JSON values (doubles bit for bit) in the merged and the unsharded document.
inline void expect_same_results(const nlohmann::json& merged, const nlohmann::json& whole,
                                const std::vector<const char*>& keys) {
  for (const char* key : keys) EXPECT_EQ(merged["results"][key], whole["results"][key]) << key;
}

struct RefusedMerge {
  std::string shards;  // the results files given to the merge
  std::string says;    // a fragment of its one error line
};

// Each merge fails with exit code 1 and one error line saying why, and leaves no `out`.
inline void expect_refused_merges(const std::string& command, const std::vector<RefusedMerge>& cases,
                                  const std::string& out) {
  for (const RefusedMerge& c : cases) {
    const auto r = merge_shards(command, c.shards, out);
    EXPECT_EQ(r.exit_code, 1) << c.shards;
    EXPECT_CONTAINS(r.err, c.says);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(file_exists(out));
  }
}

}  // namespace latentlab::testing
