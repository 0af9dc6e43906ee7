// The sections of a report, in reading order: what was given, leaderboards per protocol, per-attribute
// probe tables and bars, probe score against gFID, training curves, grids, and the paper-style tables.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/version.h"
#include "io/results_json.h"
#include "report/charts.h"
#include "report/grouping.h"
#include "report/paper_tables.h"
#include "report/ranking.h"
#include "report/report.h"
#include "stats/correlation.h"

namespace latentlab::report {
namespace {

std::string short_fp(const std::string& fingerprint) {
  return fingerprint.substr(0, 12);
}

Section inputs_section(const std::vector<Entry>& entries) {
  Section s{"Results", {}, {}, {}, {}};
  Table t{"", {"model", "kind", "command", "protocol", "file"}, {}, {}};
  for (const auto& e : entries)
    t.rows.push_back({e.label, e.kind, e.command.empty() ? "-" : e.command,
                      e.fingerprint.empty() ? "-" : short_fp(e.fingerprint), e.path});
  s.tables.push_back(std::move(t));
  s.paragraphs.push_back(
      "Each leaderboard below holds results of one kind measured under one protocol (equal protocol fingerprints); "
      "results whose protocols differ are never ranked together.");
  return s;
}

Section leaderboard_section(const std::vector<ProtocolGroup>& groups) {
  Section s{"Leaderboards", {}, {}, {}, {}};
  std::map<std::string, std::vector<const ProtocolGroup*>> by_kind;
  for (const auto& g : groups) by_kind[g.kind].push_back(&g);
  for (const auto& g : groups) {
    const auto& same_kind = by_kind[g.kind];
    auto it = std::find(same_kind.begin(), same_kind.end(), &g);
    std::string title = fmt::format("{} — protocol {}", g.kind, short_fp(g.fingerprint));
    if (same_kind.size() > 1) title += fmt::format(" ({} of {})", it - same_kind.begin() + 1, same_kind.size());
    auto table = leaderboard_table(g, title);
    if (same_kind.size() > 1 && it == same_kind.begin()) {
      std::vector<const nlohmann::json*> protocols;
      for (const auto* other : same_kind) protocols.push_back(&other->entries.front()->protocol);
      std::string keys;
      for (const auto& key : differing_protocol_keys(protocols, 8, kind_named(g.kind).subject_keys))
        keys += (keys.empty() ? "" : ", ") + key;
      table.notes.push_back(fmt::format("The {} {} protocols differ in: {}.", same_kind.size(), g.kind, keys));
    }
    s.tables.push_back(std::move(table));
  }
  if (groups.empty()) s.paragraphs.push_back("No results files were given (training logs only).");
  return s;
}

// Rows: the targets of `target_group` in first-seen order; columns: the group's models.
Table target_table(const ProtocolGroup& g, const std::string& target_group, const std::string& key,
                   const std::string& key_title, std::vector<std::string>& names, std::vector<BarSeries>& series) {
  for (const auto* e : g.entries)
    for (const auto& t : e->targets)
      if (t.group == target_group && std::find(names.begin(), names.end(), t.name) == names.end())
        names.push_back(t.name);
  Table table{fmt::format("{} {} — probe protocol {}", target_group, key_title, short_fp(g.fingerprint)),
              {target_group == "attributes" ? "attribute" : "factor"},
              {},
              {}};
  for (const auto* e : g.entries) {
    table.header.push_back(e->label);
    BarSeries s{e->label, std::vector<double>(names.size(), std::nan(""))};
    for (const auto& t : e->targets) {
      const auto it = std::find(names.begin(), names.end(), t.name);
      if (t.group == target_group && t.metrics.count(key)) s.values[it - names.begin()] = t.metrics.at(key);
    }
    series.push_back(std::move(s));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<std::string> row{names[i]};
    for (const auto& s : series) row.push_back(format_value(s.values[i], 4));
    table.rows.push_back(std::move(row));
  }
  return table;
}

Section probe_section(const std::vector<ProtocolGroup>& groups) {
  Section s{"Per-attribute probes", {}, {}, {}, {}};
  int index = 0;
  for (const auto& g : groups) {
    if (g.kind != "probe") continue;
    struct Kind {
      const char *target_group, *key, *title;
    };
    for (const auto& [target_group, key, title] :
         {Kind{"attributes", "f1", "F1"}, Kind{"factors", "accuracy", "accuracy"}}) {
      std::vector<std::string> names;
      std::vector<BarSeries> series;
      auto table = target_table(g, target_group, key, title, names, series);
      if (names.empty()) continue;
      s.tables.push_back(table);
      s.figures.push_back({fmt::format("probe-{}-{}", target_group, ++index), table.title,
                           bar_chart(table.title, names, series, title)});
    }
  }
  if (s.tables.empty()) s.paragraphs.push_back("No probe results with attributes or factors were given.");
  return s;
}

// The first probe score that the probes of this group report.
std::string probe_score_key(const ProtocolGroup& probes) {
  for (const char* key : {"attr_macro_f1", "factor_accuracy", "label_accuracy"})
    for (const auto* e : probes.entries)
      if (e->metrics.count(key)) return key;
  return "";
}

Section scatter_section(const std::vector<ProtocolGroup>& groups) {
  Section s{"Probe score vs gFID", {}, {}, {}, {}};
  int index = 0;
  for (const auto& probes : groups) {
    const auto key = probe_score_key(probes);
    if (probes.kind != "probe" || key.empty()) continue;
    for (const auto& gen : groups) {
      if (gen.kind != "fid" && gen.kind != "metrics") continue;
      std::vector<ScatterPoint> points;
      for (const auto* p : probes.entries)
        for (const auto* f : gen.entries)
          if (p->label == f->label && p->metrics.count(key) && f->metrics.count("fid"))
            points.push_back({p->label, p->metrics.at(key), f->metrics.at("fid")});
      if (points.size() < 2) continue;
      std::vector<double> x, y;
      for (const auto& p : points) x.push_back(p.x), y.push_back(p.y);
      const auto subtitle = fmt::format("n = {}, Pearson r = {}, Spearman ρ = {}", points.size(),
                                        format_value(stats::pearson(x, y), 4), format_value(stats::spearman(x, y), 4));
      const auto title = fmt::format("{} vs gFID (probe {}, gFID {})", column_for(key).title,
                                     short_fp(probes.fingerprint), short_fp(gen.fingerprint));
      s.figures.push_back({fmt::format("probe-vs-gfid-{}", ++index), title + ": " + subtitle,
                           scatter_chart(title, subtitle, column_for(key).title, "gFID", points)});
    }
  }
  if (s.figures.empty())
    s.paragraphs.push_back(
        "Needs at least two models (labels) with both a probe result and a gFID under one protocol each.");
  return s;
}

Section curves_section(const std::vector<Entry>& entries) {
  Section s{"Training curves", {}, {}, {}, {}};
  std::vector<std::string> names;
  for (const auto& e : entries)
    for (const auto& c : e.curves)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<Curve> curves;
    std::string x_title;
    for (const auto& e : entries)
      for (const auto& c : e.curves)
        if (c.name == names[i]) {
          curves.push_back({e.label, c.x, c.y});
          x_title = e.curve_x;
        }
    s.figures.push_back({fmt::format("curve-{}", i + 1), names[i] + " against " + x_title,
                         line_chart(names[i], x_title, names[i], curves)});
  }
  if (names.empty()) s.paragraphs.push_back("No training logs (.jsonl) were given.");
  return s;
}

Section grids_section(const std::vector<Entry>& entries) {
  Section s{"Reconstruction and sample grids", {}, {}, {}, {}};
  for (const auto& e : entries)
    for (const auto& image : e.images) s.images.push_back({image, fmt::format("{} — {} ({})", e.label, e.kind, image)});
  if (s.images.empty()) s.paragraphs.push_back("No result points to an image grid.");
  return s;
}

Section paper_section(const std::vector<Entry>& entries) {
  Section s{"Paper-style tables", {}, paper_tables(entries), {}, {}};
  s.paragraphs.push_back(
      "The layouts of the Send-VAE paper's Tables 1, 7 and 8, filled from the results above (rows marked 'ours'), "
      "with the paper's published numbers beside them. Paper numbers are comparable only where the note under a "
      "table says our protocol is the paper's.");
  return s;
}

}  // namespace

Report build_report(const std::vector<Entry>& entries, const std::string& title) {
  const auto groups = group_by_protocol(entries);
  Report r;
  r.title = title;
  r.subtitle = fmt::format("{} inputs, {} protocol groups; latentlab {} ({}), {}", entries.size(), groups.size(),
                           tool_version(), git_commit(), io::utc_now_iso8601());
  r.sections = {inputs_section(entries), leaderboard_section(groups), probe_section(groups), scatter_section(groups),
                curves_section(entries), grids_section(entries),      paper_section(entries)};
  return r;
}

}  // namespace latentlab::report
