#include "report/paper_tables.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/grouping.h"
#include "report/paper_numbers.h"

namespace latentlab::report {
namespace {

using nlohmann::json;

// The first value stored under `key` anywhere in `node` (depth first), or nullptr.
const json* find_key(const json& node, const std::string& key) {
  if (node.is_object()) {
    if (node.contains(key)) return &node[key];
    for (const auto& [inner, value] : node.items())
      if (const auto* found = find_key(value, key)) return found;
  } else if (node.is_array()) {
    for (const auto& value : node)
      if (const auto* found = find_key(value, key)) return found;
  }
  return nullptr;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_true(const json& protocol, const char* pointer) {
  const json::json_pointer p(pointer);
  return protocol.contains(p) && protocol.at(p).is_boolean() && protocol.at(p).get<bool>();
}

int64_t count_at(const json& protocol, const char* pointer) {
  const json::json_pointer p(pointer);
  return protocol.contains(p) && protocol.at(p).is_number() ? protocol.at(p).get<int64_t>() : -1;
}

// A published number with at least `decimals` digits and as many more as the paper prints (218.57).
std::string paper_value(double value, int decimals) {
  while (decimals < 4 &&
         std::abs(value * std::pow(10.0, decimals) - std::round(value * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  return format_value(value, decimals);
}

struct Measured {
  double value;
  const Entry* entry;
};

// label -> metric -> the first result that measured it, labels in the order given.
struct Models {
  std::vector<std::string> labels;
  std::map<std::string, std::map<std::string, Measured>> metrics;

  explicit Models(const std::vector<Entry>& entries) {
    for (const auto& e : entries) {
      if (e.fingerprint.empty()) continue;
      if (!metrics.count(e.label)) labels.push_back(e.label);
      auto& own = metrics[e.label];
      for (const auto& [key, value] : e.metrics) own.insert({key, {value, &e}});
    }
  }
  double value(const std::string& label, const std::string& key) const {
    const auto& own = metrics.at(label);
    const auto it = own.find(key);
    return it == own.end() ? std::nan("") : it->second.value;
  }
  bool has_any(const std::string& label, const std::vector<std::string>& keys) const {
    return std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return !std::isnan(value(label, k)); });
  }
  // The protocol differences of every result that fills these keys of these labels.
  void differences(const std::string& label, const std::vector<std::string>& keys, std::set<std::string>& out) const {
    for (const auto& key : keys) {
      const auto& own = metrics.at(label);
      const auto it = own.find(key);
      if (it == own.end()) continue;
      for (const auto& d : paper_protocol_differences(*it->second.entry)) out.insert(d);
    }
  }
};

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "; ") + item;
  return out;
}

// The source column and the note for the paper's rows of one table.
std::pair<std::string, std::string> paper_mark(bool have_ours, const std::set<std::string>& differences) {
  if (!have_ours) return {"paper", "No results given fill this table; the paper's numbers are shown for reference."};
  if (differences.empty()) return {"paper (same protocol)", "Our results follow the paper's protocol."};
  return {"paper †", "† Not comparable: our results were measured under another protocol (" + join(differences) +
                         "). The paper's numbers are shown for reference only."};
}

std::string text_at(const Entry* e, const char* key) {
  if (!e) return "-";
  const auto* v = find_key(e->protocol, key);
  if (!v) return "-";
  return v->is_string() ? v->get<std::string>() : v->dump();
}

Table table1(const Models& models) {
  Table t;
  t.title = "Table 1 — ImageNet 256×256 system level (layout of the paper's Table 1)";
  t.header = {"Tokenizer", "Method", "Ep",  "#params",    "source",     "rFID",     "gFID",       "sFID",
              "IS",        "Prec",   "Rec", "gFID (CFG)", "sFID (CFG)", "IS (CFG)", "Prec (CFG)", "Rec (CFG)"};
  const std::vector<int> decimals = {2, 2, 2, 1, 2, 2, 2, 2, 1, 2, 2};
  const std::vector<std::string> generation = {"fid", "sfid", "is", "precision", "recall"};
  std::set<std::string> differences;
  bool have_ours = false;
  for (const auto& label : models.labels) {
    if (!models.has_any(label, {"fid", "rfid"})) continue;
    have_ours = true;
    const auto& own = models.metrics.at(label);
    const Entry* gen = own.count("fid") ? own.at("fid").entry : nullptr;
    const auto* cfg = gen ? find_key(gen->protocol, "cfg_scale") : nullptr;
    const bool with_cfg = cfg && cfg->is_number() && cfg->get<double>() > 1;
    std::vector<double> values(11, std::nan(""));
    values[0] = models.value(label, "rfid");
    for (size_t i = 0; i < generation.size(); ++i) values[(with_cfg ? 6 : 1) + i] = models.value(label, generation[i]);
    std::vector<std::string> row{label, text_at(gen, "method"), text_at(gen, "epochs"), text_at(gen, "params"), "ours"};
    for (size_t i = 0; i < values.size(); ++i) row.push_back(format_value(values[i], decimals[i]));
    t.rows.push_back(std::move(row));
    models.differences(label, {"rfid", "fid", "sfid", "is", "precision", "recall"}, differences);
  }
  const auto [source, note] = paper_mark(have_ours, differences);
  for (const auto& p : paper::table1()) {
    std::vector<std::string> row{p.tokenizer, p.method, p.epochs, p.params, source};
    for (size_t i = 0; i < p.values.size(); ++i) row.push_back(paper_value(p.values[i], decimals[i]));
    t.rows.push_back(std::move(row));
  }
  t.notes = {note};
  return t;
}

Table table7(const Models& models) {
  Table t;
  t.title = "Table 7 — reconstruction vs generation (layout of the paper's Table 7)";
  t.header = {"model", "source", "rFID", "PSNR", "LPIPS", "SSIM", "gFID"};
  const std::vector<std::string> keys = {"rfid", "psnr", "lpips", "ssim", "fid"};
  const std::vector<int> decimals = {2, 2, 3, 2, 2};
  std::set<std::string> differences, matched;
  std::vector<std::pair<std::vector<std::string>, std::string>> ours;  // row, paper model
  for (const auto& label : models.labels) {
    if (!models.has_any(label, keys)) continue;
    std::vector<std::string> row{label, "ours"};
    for (size_t i = 0; i < keys.size(); ++i) row.push_back(format_value(models.value(label, keys[i]), decimals[i]));
    ours.emplace_back(std::move(row), paper::paper_model(label));
    models.differences(label, keys, differences);
  }
  const auto [source, note] = paper_mark(!ours.empty(), differences);
  const auto paper_row = [&, source = source](const paper::ReconRow& p) {
    std::vector<std::string> row{p.model, source};
    const double values[] = {p.rfid, p.psnr, p.lpips, p.ssim, p.gfid};
    for (size_t i = 0; i < keys.size(); ++i) row.push_back(paper_value(values[i], decimals[i]));
    return row;
  };
  for (const auto& [row, model] : ours) {
    t.rows.push_back(row);
    for (const auto& p : paper::table7())
      if (model == p.model && matched.insert(model).second) t.rows.push_back(paper_row(p));
  }
  for (const auto& p : paper::table7())
    if (!matched.count(p.model)) t.rows.push_back(paper_row(p));
  t.notes = {note, "Paper rows follow the result whose label names the same model (plain/naive = IN-VAE)."};
  return t;
}

std::vector<Table> table8(const std::vector<Entry>& entries, const Models& models) {
  Table ours;
  ours.title = "Table 8 — attribute linear probe, macro-F1 (ours; layout of the paper's Table 8)";
  ours.header = {"dataset"};
  std::vector<std::string> labels;
  for (const auto& e : entries)
    if (e.metrics.count("attr_macro_f1") && std::find(labels.begin(), labels.end(), e.label) == labels.end())
      labels.push_back(e.label);
  ours.header.insert(ours.header.end(), labels.begin(), labels.end());
  std::set<std::string> differences;
  for (const auto& group : group_by_protocol(entries)) {
    if (group.kind != "probe") continue;
    std::vector<std::string> row(1 + labels.size(), "-");
    bool any = false;
    for (const auto* e : group.entries) {
      const auto it = std::find(labels.begin(), labels.end(), e->label);
      if (it == labels.end()) continue;
      row[1 + (it - labels.begin())] = format_value(e->metrics.at("attr_macro_f1"), 4);
      for (const auto& d : paper_protocol_differences(*e)) differences.insert(d);
      if (row[0] == "-") {
        const auto dataset = paper_dataset(*e);
        row[0] = (dataset.empty() ? "probe protocol" : dataset) + " " + group.fingerprint.substr(0, 8);
      }
      any = true;
    }
    if (any) ours.rows.push_back(std::move(row));
  }
  if (!labels.empty()) {
    std::vector<std::string> gfid{"gFID"};
    for (const auto& label : labels) gfid.push_back(format_value(models.value(label, "fid"), 2));
    ours.rows.push_back(std::move(gfid));
  }
  const auto [source, note] = paper_mark(!labels.empty(), differences);
  if (labels.empty()) ours.notes = {"No attribute probe results were given."};
  Table theirs;
  theirs.title = "Table 8 — the paper's numbers (" + source + ")";
  theirs.header = {"dataset"};
  for (const char* m : paper::table8_models()) theirs.header.push_back(m);
  for (const auto& p : paper::table8()) {
    std::vector<std::string> row{p.dataset};
    for (const double f1 : p.f1) row.push_back(paper_value(f1, 4));
    theirs.rows.push_back(std::move(row));
  }
  std::vector<std::string> gfid{"gFID (SiT-B/1, 80 ep, no CFG)"};
  for (const double v : paper::table8_gfid()) gfid.push_back(paper_value(v, 2));
  theirs.rows.push_back(std::move(gfid));
  theirs.notes = {note, "The paper reports F1 without saying micro or macro; ours is macro-F1 at threshold 0.5."};
  return {ours, theirs};
}

}  // namespace

std::string paper_dataset(const Entry& entry) {
  if (const auto* name = find_key(entry.protocol, "dataset"); name && name->is_string()) {
    const auto text = lower(name->get<std::string>());
    for (const char* d : {"CelebA", "DeepFashion", "AwA"})
      if (text.find(lower(d)) != std::string::npos) return d;
  }
  const json::json_pointer attributes("/features/input/attributes");
  if (!entry.protocol.contains(attributes) || !entry.protocol.at(attributes).is_array()) return "";
  const auto& list = entry.protocol.at(attributes);
  const bool smiling = std::find(list.begin(), list.end(), json("Smiling")) != list.end();
  if (list.size() == 40 && smiling) return "CelebA";
  if (list.size() == 85) return "AwA";
  return "";
}

std::vector<std::string> paper_protocol_differences(const Entry& entry) {
  std::vector<std::string> out;
  const auto& p = entry.protocol;
  if (entry.kind == "fid" || entry.kind == "metrics") {
    if (!is_true(p, "/official_weights")) out.push_back("unofficial Inception weights");
    if (const auto n = count_at(p, "/sets/fake/count"); n != 50000)
      out.push_back(fmt::format("{} generated images (paper: 50,000)", n));
  } else if (entry.kind == "recon") {
    if (!is_true(p, "/extractor/weights_official")) out.push_back("unofficial Inception weights");
    if (!is_true(p, "/lpips/trunk_official")) out.push_back("unofficial LPIPS trunk");
    if (const auto n = count_at(p, "/count"); n != 50000)
      out.push_back(fmt::format("{} reconstructed images (paper: 50,000 ImageNet val)", n));
  } else if (entry.kind == "probe") {
    const json::json_pointer mode("/features/mode");
    if (!p.contains(mode) || p.at(mode) != "mean") out.push_back("features not the flattened posterior mean");
    if (paper_dataset(entry).empty()) out.push_back("probe dataset is none of CelebA, DeepFashion, AwA");
  } else {
    out.push_back(fmt::format("'{}' results are not in the paper's tables", entry.command));
  }
  return out;
}

std::vector<Table> paper_tables(const std::vector<Entry>& entries) {
  const Models models(entries);
  std::vector<Table> tables{table1(models), table7(models)};
  for (auto& t : table8(entries, models)) tables.push_back(std::move(t));
  return tables;
}

}  // namespace latentlab::report
