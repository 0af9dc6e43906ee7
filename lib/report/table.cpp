#include "report/table.h"

#include <cmath>

#include <fmt/format.h>

#include "report/markup.h"

namespace latentlab::report {
namespace {

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string markdown_row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const auto& cell : cells) line += " " + markdown_cell(cell) + " |";
  return line + "\n";
}

}  // namespace

std::string format_value(double value, int decimals) {
  if (std::isnan(value)) return "-";
  return fmt::format("{:.{}f}", value, decimals);
}

std::string to_markdown(const Table& table) {
  std::string out;
  if (!table.title.empty()) out += "### " + table.title + "\n\n";
  out += markdown_row(table.header);
  out += "|";
  for (size_t i = 0; i < table.header.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : table.rows) out += markdown_row(row);
  for (const auto& note : table.notes) out += "\n" + note + "\n";
  return out + "\n";
}

std::string to_csv(const Table& table) {
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csv_cell(cells[i]);
    out += "\r\n";
  };
  line(table.header);
  for (const auto& row : table.rows) line(row);
  return out;
}

std::string to_html(const Table& table) {
  std::string out;
  if (!table.title.empty()) out += "<h3>" + xml_escape(table.title) + "</h3>\n";
  out += "<table>\n<thead><tr>";
  for (const auto& cell : table.header) out += "<th>" + xml_escape(cell) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + xml_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  for (const auto& note : table.notes) out += "<p class=\"note\">" + xml_escape(note) + "</p>\n";
  return out;
}

}  // namespace latentlab::report
