// A report table (title, header, rows of text, notes under it) and its three renderings. Numbers are
// formatted once, by format_value, so the Markdown, HTML, CSV and board views show the same digits.
#pragma once

#include <string>
#include <vector>

namespace latentlab::report {

struct Table {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as wide as the header
  std::vector<std::string> notes;
};

// Fixed `decimals`; "-" for NaN (not measured).
std::string format_value(double value, int decimals);

std::string to_markdown(const Table& table);  // "### title", a pipe table, notes as paragraphs
std::string to_csv(const Table& table);       // RFC 4180: header + rows; title and notes left out
std::string to_html(const Table& table);      // <h3>, <table>, <p class="note">

}  // namespace latentlab::report
