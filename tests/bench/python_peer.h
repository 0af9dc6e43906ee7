// The benchmarks' Python peers (tests/bench/*.py): runs one on a data file with the reference Python and returns
// the last line it printed (its numbers), or ends the benchmark with the peer's stderr.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "support/test_support.h"

namespace latentlab::bench {

inline std::string python_peer_last_line(const std::string& script, const std::string& data) {
  const auto peer = testing::run_command(
      fmt::format("{} {}/tests/bench/{} {}", LATENTLAB_REFERENCE_PYTHON, LATENTLAB_SOURCE_DIR, script, data));
  if (peer.exit_code != 0) {
    std::fprintf(stderr, "%s (the peer) failed:\n%s\n", script.c_str(), peer.err.c_str());
    std::exit(1);
  }
  const auto end = peer.out.find_last_not_of('\n');
  const auto line_start = peer.out.find_last_of('\n', end);
  return peer.out.substr(line_start == std::string::npos ? 0 : line_start + 1);
}

}  // namespace latentlab::bench
