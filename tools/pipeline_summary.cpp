#include "pipeline_summary.h"

#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "io/results_json.h"
#include "stats/correlation.h"

namespace latentlab::tools {
namespace {

const std::vector<std::string> kFine = {"rotation", "scale", "x", "y", "texture"};
const std::vector<std::string> kCoarse = {"shape", "hue", "background"};

// The metrics of one run, by name; a metric whose file or key is missing is absent.
std::map<std::string, double> run_metrics(const RunResults& run) {
  std::map<std::string, double> m;
  auto results = [](const std::string& path) {
    return std::filesystem::is_regular_file(path) ? io::read_results(path).at("results") : nlohmann::json();
  };
  auto take = [&](const nlohmann::json& doc, const nlohmann::json::json_pointer& at, const std::string& key) {
    if (doc.contains(at) && doc.at(at).is_number()) m[key] = doc.at(at).get<double>();
  };
  const auto probe = results(run.probe);
  auto factor_mean = [&](const std::vector<std::string>& factors, const std::string& key) {
    double sum = 0;
    int count = 0;
    for (const auto& f : factors) {
      const nlohmann::json::json_pointer at("/factors/" + f + "/linear/test/accuracy");
      if (!probe.contains(at)) continue;
      m["probe_" + f] = probe.at(at).get<double>();
      sum += m["probe_" + f], ++count;
    }
    if (count == static_cast<int>(factors.size())) m[key] = sum / count;
  };
  factor_mean(kFine, "fine_factor_accuracy");
  factor_mean(kCoarse, "coarse_factor_accuracy");
  const auto recon = results(run.recon);
  take(recon, nlohmann::json::json_pointer("/psnr"), "psnr");
  take(recon, nlohmann::json::json_pointer("/ssim"), "ssim");
  const auto dis = results(run.disentangle);
  take(dis, nlohmann::json::json_pointer("/mig/mig"), "mig");
  take(dis, nlohmann::json::json_pointer("/dci/disentanglement"), "dci_disentanglement");
  take(results(run.fd), nlohmann::json::json_pointer("/fd_teacher"), "fd");
  return m;
}

std::string cell(const nlohmann::json& row, const std::string& key, int decimals) {
  if (!row.contains(key)) return "–";
  return fmt::format("{:.{}f} ± {:.{}f}", row[key].get<double>(), decimals, row[key + "_std"].get<double>(), decimals);
}

// The label of the first VAE whose name contains any of `needles` ("" when none).
std::string find_label(const nlohmann::json& table, const std::vector<std::string>& needles) {
  for (const auto& [name, row] : table.items())
    for (const auto& needle : needles)
      if (name.find(needle) != std::string::npos) return name;
  return "";
}

std::string fine_answer(const nlohmann::json& table) {
  const std::string send = find_label(table, {"send"}), va = find_label(table, {"va-vae", "vavae"}),
                    plain = find_label(table, {"plain"});
  if (send.empty() || !table[send].contains("fine_factor_accuracy"))
    return "No Send-VAE run with fine-factor probes: the first question is not answered.";
  const auto& s = table[send];
  std::string text =
      fmt::format("Send-VAE (`{}`) fine-factor linear accuracy {}", send, cell(s, "fine_factor_accuracy", 3));
  for (const auto& other : {va, plain}) {
    if (other.empty() || !table[other].contains("fine_factor_accuracy")) continue;
    const auto& o = table[other];
    const double diff = s["fine_factor_accuracy"].get<double>() - o["fine_factor_accuracy"].get<double>();
    const double spread = s["fine_factor_accuracy_std"].get<double>() + o["fine_factor_accuracy_std"].get<double>();
    text +=
        fmt::format("; vs `{}` {} (difference {:+.3f}, {} the summed seed spread {:.3f})", other,
                    cell(o, "fine_factor_accuracy", 3), diff, std::abs(diff) > spread ? "beyond" : "within", spread);
  }
  const int seeds = s["runs"].get<int>();
  text += fmt::format(". Over {} seed{}{}.", seeds, seeds == 1 ? "" : "s",
                      seeds == 1 ? " (one seed: no spread, read the difference as unreplicated)" : "");
  return text;
}

std::string generation_answer(const std::vector<std::pair<double, double>>& points, nlohmann::json& results) {
  if (points.size() < 3)
    return fmt::format("Not answered: {} run{} with both fine-factor probes and an FD of samples (3 needed).",
                       points.size(), points.size() == 1 ? "" : "s");
  std::vector<double> accuracy, fd;
  for (const auto& [a, f] : points) accuracy.push_back(a), fd.push_back(f);
  const double r = stats::pearson(accuracy, fd), rho = stats::spearman(accuracy, fd);
  results["fd_correlation"] = {{"pearson", r}, {"spearman", rho}, {"points", points.size()}};
  return fmt::format(
      "Over {} runs, fine-factor accuracy vs FD of samples: Pearson r = {:.3f}, Spearman ρ = {:.3f} (negative: "
      "more separable fine factors go with better samples).",
      points.size(), r, rho);
}

}  // namespace

std::pair<double, double> mean_std(const std::vector<double>& values) {
  if (values.empty()) return {NAN, NAN};
  double mean = 0;
  for (const double v : values) mean += v / values.size();
  double ss = 0;
  for (const double v : values) ss += (v - mean) * (v - mean);
  return {mean, values.size() > 1 ? std::sqrt(ss / (values.size() - 1)) : 0.0};
}

Summary summarize(const std::vector<RunResults>& runs, const std::vector<std::string>& notes) {
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, std::vector<double>>> values;
  std::vector<std::pair<double, double>> fd_points;
  for (const auto& run : runs) {
    if (!values.count(run.name)) order.push_back(run.name);
    auto& row = values[run.name];
    const auto m = run_metrics(run);
    for (const auto& [key, value] : m) row[key].push_back(value);
    if (m.count("fine_factor_accuracy") && m.count("fd"))
      fd_points.emplace_back(m.at("fine_factor_accuracy"), m.at("fd"));
  }
  Summary summary;
  nlohmann::json table = nlohmann::json::object();
  for (const auto& name : order) {
    auto& row = table[name];
    size_t runs_of_name = 0;
    for (const auto& run : runs) runs_of_name += run.name == name;
    row["runs"] = runs_of_name;
    for (const auto& [key, list] : values[name]) {
      const auto [mean, std] = mean_std(list);
      row[key] = mean, row[key + "_std"] = std;
    }
  }
  summary.results = table;

  std::string md =
      "# Study summary\n\nMean ± sample std over seeds; linear probes (test accuracy) of the posterior "
      "mean on the evaluation shapes. Fine factors: rotation, scale, x, y, texture; coarse: shape, hue, "
      "background (the teacher was taught only shape and hue).\n\n";
  md += "| VAE | seeds | fine acc | coarse acc | rotation | scale | x | y | texture | PSNR | MIG | DCI-D | FD |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& name : order) {
    const auto& row = table[name];
    md += fmt::format("| {} | {} | {} | {} |", name, row["runs"].get<int>(), cell(row, "fine_factor_accuracy", 3),
                      cell(row, "coarse_factor_accuracy", 3));
    for (const auto& f : kFine) md += " " + cell(row, "probe_" + f, 3) + " |";
    md += fmt::format(" {} | {} | {} | {} |\n", cell(row, "psnr", 2), cell(row, "mig", 3),
                      cell(row, "dci_disentanglement", 3), cell(row, "fd", 2));
  }
  md += "\n## Does semantic-disentangled alignment keep fine attributes linearly separable?\n\n" + fine_answer(table) +
        "\n";
  md += "\n## Does that track generation quality?\n\n" + generation_answer(fd_points, summary.results) + "\n";
  if (!notes.empty()) {
    md += "\n## Stages not run\n\n";
    for (const auto& note : notes) md += "- " + note + "\n";
  }
  summary.markdown = md;
  return summary;
}

}  // namespace latentlab::tools
