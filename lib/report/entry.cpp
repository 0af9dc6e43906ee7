#include "report/entry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/results_json.h"
#include "io/sha256.h"
#include "report/result_kinds.h"
#include "report/training_log.h"

namespace latentlab::report {
namespace {

namespace fs = std::filesystem;

bool is_image_path(std::string path) {
  for (auto& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ends_with(path, ".png") || ends_with(path, ".jpg") || ends_with(path, ".jpeg");
}

// Image files named anywhere under "results" by a key that mentions a grid or an image; relative paths
// are read against the results file's folder first (results and their grids travel together).
void find_images(const nlohmann::json& node, const std::string& key, const fs::path& base, Entry& entry) {
  if (node.is_object()) {
    for (const auto& [inner, value] : node.items()) find_images(value, inner, base, entry);
  } else if (node.is_array()) {
    for (const auto& value : node) find_images(value, key, base, entry);
  } else if (node.is_string() && (key.find("grid") != std::string::npos || key.find("image") != std::string::npos) &&
             is_image_path(node.get<std::string>())) {
    const fs::path named = node.get<std::string>();
    const fs::path beside = base / named;
    if (named.is_relative() && fs::exists(beside))
      entry.images.push_back(beside.string());
    else if (fs::exists(named))
      entry.images.push_back(named.string());
    else
      log::warn("{}: the grid '{}' ({}) does not exist; left out of the report", entry.path, named.string(), key);
  }
}

std::vector<std::string> input_hashes(const nlohmann::json& doc) {
  std::vector<std::string> hashes;
  for (const auto& input : doc.value(io::kKeyInputs, nlohmann::json::array()))
    if (input.is_object() && input.contains("sha256") && input["sha256"].is_string())
      hashes.push_back(input["sha256"].get<std::string>());
  std::sort(hashes.begin(), hashes.end());
  return hashes;
}

}  // namespace

std::string path_stem(std::string path) {
  const auto colon = path.find(':');
  if (colon != std::string::npos && path.find('/') > colon) path = path.substr(colon + 1);  // "images:DIR"
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::string stem = fs::path(path).stem().string();
  return stem.empty() ? path : stem;
}

Entry load_entry(const std::string& spec) {
  std::string path = spec, label;
  const auto equals = spec.find('=');
  if (!fs::exists(spec) && equals != std::string::npos && equals > 0) {
    label = spec.substr(0, equals);
    path = spec.substr(equals + 1);
  }
  if (ends_with(path, ".jsonl")) return read_training_log(path, label);
  const auto doc = io::read_results(path);
  Entry entry;
  entry.path = path;
  entry.command = doc.value("command", "");
  const auto& kind = kind_for_command(entry.command);
  entry.kind = kind.name;
  entry.label = label.empty() ? kind.label(doc) : label;
  if (!doc.contains(io::kKeyProtocol) || !doc[io::kKeyProtocol].is_object()) fail(path, "has no protocol block");
  entry.protocol = doc[io::kKeyProtocol];
  entry.fingerprint = ranking_fingerprint(kind, entry.protocol);
  entry.created = doc.value("created", "");
  entry.sha256 = io::sha256_file(path);
  entry.input_hashes = input_hashes(doc);
  kind.extract(doc, entry);
  find_images(doc.value(io::kKeyResults, nlohmann::json::object()), "", fs::path(path).parent_path(), entry);
  return entry;
}

std::vector<Entry> load_entries(const std::vector<std::string>& specs) {
  std::vector<Entry> entries;
  for (const auto& spec : specs) entries.push_back(load_entry(spec));
  return entries;
}

double metric_or_nan(const Entry& entry, const std::string& key) {
  const auto it = entry.metrics.find(key);
  return it == entry.metrics.end() ? std::nan("") : it->second;
}

}  // namespace latentlab::report
