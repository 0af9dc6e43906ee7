#include "report/ranking.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace latentlab::report {

std::vector<const Entry*> rank_entries(std::vector<const Entry*> entries, const Column& by) {
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry* a, const Entry* b) {
    const double x = metric_or_nan(*a, by.key), y = metric_or_nan(*b, by.key);
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return by.lower_is_better ? x < y : x > y;
  });
  return entries;
}

Table leaderboard_table(const ProtocolGroup& group, const std::string& title) {
  const auto& kind = kind_named(group.kind);
  const auto columns = columns_present(kind, group.entries);
  Table table;
  table.title = title;
  table.header = {"#", "model"};
  for (const auto& column : columns) table.header.push_back(column.title);
  table.header.push_back("file");
  const auto ranked = columns.empty() ? group.entries : rank_entries(group.entries, columns.front());
  for (size_t i = 0; i < ranked.size(); ++i) {
    std::vector<std::string> row{std::to_string(i + 1), ranked[i]->label};
    for (const auto& column : columns)
      row.push_back(format_value(metric_or_nan(*ranked[i], column.key), column.decimals));
    row.push_back(ranked[i]->path);
    table.rows.push_back(std::move(row));
  }
  if (!columns.empty())
    table.notes.push_back(fmt::format("Ranked by {} ({} is better); protocol fingerprint {}.", columns.front().title,
                                      columns.front().lower_is_better ? "lower" : "higher",
                                      group.fingerprint.substr(0, 12)));
  return table;
}

}  // namespace latentlab::report
