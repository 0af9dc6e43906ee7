#include "io/results_json.h"

#include <ctime>

#include "core/compat.h"
#include "core/error.h"
#include "core/version.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/sha256.h"

namespace latentlab::io {

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

namespace {

bool is_results(const nlohmann::json& doc) {
  return doc.is_object() && doc.contains("schema") && doc["schema"] == kResultsSchema;
}

bool looks_like_results(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0;
}

}  // namespace

InputRecord describe_input(const std::string& role, const std::string& path) {
  InputRecord record{role, path, sha256_file(path), nullptr};
  if (looks_like_results(path)) {
    const auto bytes = read_file(path);
    const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (is_results(doc) && doc.contains(kKeyProtocol)) record.protocol = doc[kKeyProtocol];
  }
  return record;
}

std::string protocol_fingerprint(const nlohmann::json& protocol) {
  nlohmann::json canonical = protocol;
  if (canonical.is_object()) {
    canonical.erase("tool_version");
    canonical.erase("git_commit");
  }
  return sha256_hex(canonical.dump());  // nlohmann objects keep keys sorted: dump() is canonical
}

nlohmann::json make_results(const ResultsContext& context, nlohmann::json protocol,
                            const std::vector<InputRecord>& inputs, nlohmann::json results) {
  if (protocol.is_null()) protocol = nlohmann::json::object();
  protocol["tool_version"] = tool_version();
  protocol["git_commit"] = git_commit();
  nlohmann::json input_list = nlohmann::json::array();
  for (const auto& in : inputs)
    input_list.push_back({{"role", in.role}, {"path", in.path}, {"sha256", in.sha256}, {"protocol", in.protocol}});
  return {{"schema", kResultsSchema},
          {"command", context.command},
          {"created", utc_now_iso8601()},
          {"tool",
           {{"tool_version", tool_version()},
            {"git_commit", git_commit()},
            {"libtorch", compat::torch_version()},
            {"device", context.device},
            {"threads", context.threads}}},
          {kKeyProtocolFingerprint, protocol_fingerprint(protocol)},
          {kKeyProtocol, std::move(protocol)},
          {kKeyOptions, context.options},
          {kKeyInputs, std::move(input_list)},
          {kKeyResults, std::move(results)}};
}

void write_results(const std::string& path, const nlohmann::json& document) {
  write_file_atomic(path, document.dump(2) + "\n");
}

nlohmann::json read_results(const std::string& path) {
  const auto bytes = read_file(path);
  const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (doc.is_discarded()) fail(path, "not valid JSON");
  if (!is_results(doc)) fail(path, "not a latentlab results file (schema '{}' expected)", kResultsSchema);
  return doc;
}

}  // namespace latentlab::io
