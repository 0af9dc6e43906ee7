#include "report/result_kinds.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/results_json.h"

namespace latentlab::report {
namespace {

using nlohmann::json;

// Copies the number at `pointer` (if there is one) into the entry's metric `key`.
void put(Entry& entry, const std::string& key, const json& doc, const std::string& pointer) {
  const json::json_pointer p(pointer);
  if (doc.contains(p) && doc.at(p).is_number()) entry.metrics[key] = doc.at(p).get<double>();
}

std::string string_at(const json& doc, const std::string& pointer) {
  const json::json_pointer p(pointer);
  return doc.contains(p) && doc.at(p).is_string() ? doc.at(p).get<std::string>() : "";
}

std::string first_input_stem(const json& doc) {
  const auto& inputs = doc.value("inputs", json::array());
  if (inputs.is_array() && !inputs.empty() && inputs[0].is_object()) return path_stem(inputs[0].value("path", ""));
  return doc.value("command", "result");
}

std::string label_or_input(const std::string& path, const json& doc) {
  return path.empty() ? first_input_stem(doc) : path_stem(path);
}

// Every number directly under "results" and one level down ("mig.mig" -> "mig", "dci.completeness"
// -> "dci.completeness"); counts and seeds are bookkeeping, not scores.
void extract_generic(const json& doc, Entry& entry) {
  const auto& results = doc.value("results", json::object());
  const auto is_score = [](const std::string& key) {
    for (const char* bookkeeping : {"count", "seed", "num_", "constant"})
      if (key.find(bookkeeping) != std::string::npos) return false;
    return true;
  };
  for (const auto& [key, value] : results.items()) {
    if (!is_score(key)) continue;
    if (value.is_number()) entry.metrics[key] = value.get<double>();
    if (!value.is_object()) continue;
    for (const auto& [inner, number] : value.items())
      if (number.is_number() && is_score(inner))
        entry.metrics[inner == key ? key : key + "." + inner] = number.get<double>();
  }
}

std::string label_generic(const json& doc) {
  return first_input_stem(doc);
}

void extract_fid(const json& doc, Entry& entry) {
  put(entry, "fid", doc, "/results/fid");
  put(entry, "sfid", doc, "/results/sfid");
}

std::string label_fake_set(const json& doc) {
  return label_or_input(string_at(doc, "/protocol/sets/fake/input"), doc);
}

void extract_metrics(const json& doc, Entry& entry) {
  extract_fid(doc, entry);
  put(entry, "is", doc, "/results/inception_score_mean");
  put(entry, "kid", doc, "/results/kernel_inception_distance_mean");
  for (const char* key : {"precision", "recall", "density", "coverage"})
    put(entry, key, doc, std::string("/results/") + key);
}

void extract_recon(const json& doc, Entry& entry) {
  for (const char* key : {"rfid", "psnr", "ssim", "lpips"}) put(entry, key, doc, std::string("/results/") + key);
}

std::string label_recon(const json& doc) {
  const auto vae = string_at(doc, "/options/vae");
  return vae.empty() ? label_or_input(string_at(doc, "/options/vae-preset"), doc) : path_stem(vae);
}

void probe_attributes(const json& linear, Entry& entry) {
  put(entry, "attr_macro_f1", linear, "/macro_f1");
  put(entry, "attr_micro_f1", linear, "/micro_f1");
  put(entry, "attr_map", linear, "/mean_average_precision");
  put(entry, "attr_top5_recall", linear, "/top_k_recall/top_5");
  for (const auto& attribute : linear.value("attributes", json::array())) {
    TargetScores target{"attributes", attribute.value("name", "?"), {}};
    for (const char* key : {"f1", "f1_tuned", "average_precision", "balanced_accuracy", "roc_auc", "accuracy"})
      if (attribute.contains(key) && attribute[key].is_number()) target.metrics[key] = attribute[key].get<double>();
    entry.targets.push_back(std::move(target));
  }
}

void extract_probe(const json& doc, Entry& entry) {
  put(entry, "label_accuracy", doc, "/results/labels/linear/test/accuracy");
  put(entry, "label_top5", doc, "/results/labels/linear/test/top_k_accuracy/top_5");
  const json::json_pointer attributes("/results/attributes/linear");
  if (doc.contains(attributes) && doc.at(attributes).is_object()) probe_attributes(doc.at(attributes), entry);
  const auto& factors = doc.value(json::json_pointer("/results/factors"), json::object());
  double accuracy_sum = 0;
  int counted = 0;
  for (const auto& [name, factor] : factors.items()) {
    const json::json_pointer test("/linear/test");
    if (!factor.is_object() || !factor.contains(test)) continue;
    TargetScores target{"factors", name, {}};
    Entry scores;  // reuse put() on the factor's own block
    put(scores, "accuracy", factor, "/linear/test/accuracy");
    put(scores, "macro_f1", factor, "/linear/test/macro_f1");
    put(scores, "top5", factor, "/linear/test/top_k_accuracy/top_5");
    target.metrics = scores.metrics;
    if (scores.metrics.count("accuracy")) accuracy_sum += scores.metrics["accuracy"], ++counted;
    entry.targets.push_back(std::move(target));
  }
  if (counted > 0) entry.metrics["factor_accuracy"] = accuracy_sum / counted;
}

std::string label_probe(const json& doc) {
  return label_or_input(string_at(doc, "/options/input"), doc);
}
std::string label_store(const json& doc) {
  return label_or_input(string_at(doc, "/options/STORE"), doc);
}

std::vector<Column> generation_columns() {
  return {{"fid", "gFID", true, 4},         {"sfid", "sFID", true, 4},         {"is", "IS", false, 2},
          {"precision", "Prec", false, 4},  {"recall", "Rec", false, 4},       {"kid", "KID", true, 5},
          {"density", "Density", false, 4}, {"coverage", "Coverage", false, 4}};
}

// The generated set of a fid/metrics protocol: its path and its dataset spec (which is the path again).
std::vector<std::string> generated_set() {
  return {"sets.fake.input", "sets.fake.protocol.dataset"};
}

void erase_path(json& node, const std::string& dotted) {
  const auto dot = dotted.find('.');
  if (!node.is_object() || !node.contains(dotted.substr(0, dot))) return;
  if (dot == std::string::npos)
    node.erase(dotted);
  else
    erase_path(node[dotted.substr(0, dot)], dotted.substr(dot + 1));
}

}  // namespace

const std::vector<ResultKind>& result_kinds() {
  static const std::vector<ResultKind> list = {
      {"fid",
       "fid",
       {{"fid", "gFID", true, 4}, {"sfid", "sFID", true, 4}},
       generated_set(),
       extract_fid,
       label_fake_set},
      {"metrics", "metrics", generation_columns(), generated_set(), extract_metrics, label_fake_set},
      {"recon",
       "recon",
       {{"rfid", "rFID", true, 4}, {"psnr", "PSNR", false, 2}, {"ssim", "SSIM", false, 4}, {"lpips", "LPIPS", true, 4}},
       {"vae_sha256", "vae_config"},
       extract_recon,
       label_recon},
      {"probe",
       "probe",
       {{"attr_macro_f1", "attr macro-F1", false, 4},
        {"attr_micro_f1", "attr micro-F1", false, 4},
        {"attr_map", "attr mAP", false, 4},
        {"attr_top5_recall", "attr top-5 recall", false, 4},
        {"label_accuracy", "label acc", false, 4},
        {"label_top5", "label top-5", false, 4},
        {"factor_accuracy", "factor acc (mean)", false, 4}},
       {},
       extract_probe,
       label_probe},
      {"disentangle", "disentangle", {}, {"vae_sha256"}, extract_generic, label_store},
      {"generic", "", {}, {}, extract_generic, label_generic},
  };
  return list;
}

const ResultKind& kind_for_command(const std::string& command) {
  const std::string noun = command.substr(0, command.find(' '));
  for (const auto& kind : result_kinds())
    if (*kind.command && (command == kind.command || noun == kind.command)) return kind;
  return kind_named("generic");
}

const ResultKind& kind_named(const std::string& name) {
  for (const auto& kind : result_kinds())
    if (name == kind.name) return kind;
  LATENTLAB_ASSERT(false, "no result kind '{}'", name);
  return result_kinds().back();
}

std::string ranking_fingerprint(const ResultKind& kind, const nlohmann::json& protocol) {
  json copy = protocol;
  for (const auto& key : kind.subject_keys) erase_path(copy, key);
  return io::protocol_fingerprint(copy);
}

Column column_for(const std::string& key) {
  for (const auto& kind : result_kinds())
    for (const auto& column : kind.columns)
      if (column.key == key) return column;
  return {key, key, false, 4};
}

std::vector<Column> columns_present(const ResultKind& kind, const std::vector<const Entry*>& entries) {
  const auto present = [&](const std::string& key) {
    for (const auto* e : entries)
      if (e->metrics.count(key)) return true;
    return false;
  };
  std::vector<Column> out;
  for (const auto& column : kind.columns)
    if (present(column.key)) out.push_back(column);
  if (!kind.columns.empty()) return out;
  std::vector<std::string> keys;
  for (const auto* e : entries)
    for (const auto& [key, value] : e->metrics)
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const auto& key : keys) out.push_back(column_for(key));
  return out;
}

}  // namespace latentlab::report
