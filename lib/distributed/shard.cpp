#include "distributed/shard.h"

#include <fmt/format.h>

#include "core/error.h"
#include "distributed/launch_env.h"

namespace latentlab::distributed {

std::string Shard::str() const {
  return fmt::format("{}/{}", index, count);
}

Shard parse_shard(const std::string& spec, const std::string& option) {
  const auto slash = spec.find('/');
  if (slash == std::string::npos) fail_usage(option, "'{}' is not of the form i/n (e.g. 0/4)", spec);
  Shard shard;
  shard.count = parse_int_in_range(spec.substr(slash + 1), 1, 1 << 20, option + " (n in i/n)");
  shard.index = parse_int_in_range(spec.substr(0, slash), 0, shard.count - 1, option + " (i in i/n)");
  return shard;
}

Shard resolve_shard(const std::string& spec, const LaunchEnv& env, const std::string& option) {
  if (!spec.empty()) return parse_shard(spec, option);
  return Shard{env.rank, env.world_size, /*from_launch=*/true};
}

const char* const kShardOutputHelp =
    "; {rank} and {world} in it become the shard's i and n (required when the shard comes from "
    "RANK/WORLD_SIZE: every rank gets the same command line)";

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// "dir/x.npz" -> "dir/x-{rank}.npz" (before the extension, if the file name has one).
std::string with_rank(const std::string& path) {
  const size_t name = path.find_last_of('/') + 1;  // npos + 1 == 0
  const size_t dot = path.find_last_of('.');
  const size_t at = dot != std::string::npos && dot > name ? dot : path.size();
  return path.substr(0, at) + "-{rank}" + path.substr(at);
}

}  // namespace

std::string shard_output(const std::string& path, const Shard& shard, const std::string& option) {
  if (path.empty()) return path;
  if (shard.from_launch && !shard.whole() && path.find("{rank}") == std::string::npos)
    fail_usage(option,
               "'{}' would be written by every rank (shard {} from RANK/WORLD_SIZE); add {{rank}} to the path, "
               "e.g. '{}'",
               path, shard.str(), with_rank(path));
  std::string resolved = path;
  replace_all(resolved, "{rank}", std::to_string(shard.index));
  replace_all(resolved, "{world}", std::to_string(shard.count));
  return resolved;
}

ShardRange shard_range(int64_t total, const Shard& shard) {
  LATENTLAB_ASSERT(total >= 0 && shard.count >= 1 && shard.index >= 0 && shard.index < shard.count,
                   "bad shard {} of {} rows", shard.str(), total);
  // floor(total * i / n) without forming total * i: total = q n + r.
  const auto bound = [&](int64_t i) { return total / shard.count * i + total % shard.count * i / shard.count; };
  return {bound(shard.index), bound(shard.index + 1)};
}

}  // namespace latentlab::distributed
