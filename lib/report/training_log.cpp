#include "report/training_log.h"

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/sha256.h"

namespace latentlab::report {

Entry read_training_log(const std::string& path, const std::string& label) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot be opened");
  std::vector<nlohmann::json> records;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object()) fail(fmt::format("{}:{}", path, number), "not a JSON object");
    records.push_back(std::move(record));
  }
  if (records.empty()) fail(path, "holds no log records");
  Entry entry;
  entry.path = path;
  entry.label = label.empty() ? path_stem(path) : label;
  entry.kind = "train-log";
  entry.sha256 = io::sha256_file(path);
  for (const char* x : {"step", "iteration", "iter", "epoch"})
    if (records.front().contains(x) && records.front()[x].is_number()) {
      entry.curve_x = x;
      break;
    }
  if (entry.curve_x.empty()) fail(path, "records have no numeric step, iteration, iter or epoch field");
  std::map<std::string, Curve> curves;  // by name, so curves come out in a stable order
  for (const auto& record : records) {
    if (!record.contains(entry.curve_x) || !record[entry.curve_x].is_number()) continue;
    const double x = record[entry.curve_x].get<double>();
    for (const auto& [key, value] : record.items()) {
      if (key == entry.curve_x || !value.is_number()) continue;
      auto& curve = curves[key];
      curve.name = key;
      curve.x.push_back(x);
      curve.y.push_back(value.get<double>());
    }
  }
  for (auto& [name, curve] : curves) entry.curves.push_back(std::move(curve));
  return entry;
}

}  // namespace latentlab::report
