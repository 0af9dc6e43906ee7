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
  return Shard{env.rank, env.world_size};
}

ShardRange shard_range(int64_t total, const Shard& shard) {
  LATENTLAB_ASSERT(total >= 0 && shard.count >= 1 && shard.index >= 0 && shard.index < shard.count,
                   "bad shard {} of {} rows", shard.str(), total);
  // floor(total * i / n) without forming total * i: total = q n + r.
  const auto bound = [&](int64_t i) { return total / shard.count * i + total % shard.count * i / shard.count; };
  return {bound(shard.index), bound(shard.index + 1)};
}

}  // namespace latentlab::distributed
