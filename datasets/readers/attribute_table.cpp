#include "datasets/readers/attribute_table.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "io/mapped_file.h"

namespace latentlab::datasets {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The file's lines with their 1-based numbers, CR stripped; a UTF-8 BOM before line 1 is dropped.
std::vector<std::pair<int, std::string>> read_lines(const std::string& path) {
  const std::vector<uint8_t> bytes = io::read_file(path);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::pair<int, std::string>> lines;
  int number = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(++number, std::string(line));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return lines;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  line = trim(line);
  while (!line.empty()) {
    size_t end = 0;
    while (end < line.size() && !is_space(line[end])) ++end;
    fields.push_back(line.substr(0, end));
    line = trim(line.substr(end));
  }
  return fields;
}

bool parse_int(std::string_view s, int64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

std::string where(const std::string& path, int line) {
  return path + ":" + std::to_string(line);
}

// One CSV line's fields: quoted fields keep everything between the quotes ("" is a quote); unquoted fields are
// trimmed. A quote may not stay open past the end of the line.
std::vector<std::string> split_csv(const std::string& line, const std::string& at) {
  std::vector<std::string> fields;
  size_t i = 0;
  for (;;) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) fail(at, "unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            break;
          }
        } else {
          field += line[i];
        }
      }
      ++i;
      while (i < line.size() && is_space(line[i])) ++i;
      if (i < line.size() && line[i] != ',') fail(at, "text after the closing quote of field {}", fields.size() + 1);
    } else {
      const size_t end = std::min(line.find(',', i), line.size());
      field = std::string(trim(std::string_view(line).substr(i, end - i)));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return fields;
    ++i;  // the comma
  }
}

bool blank(const std::string& line) {
  return trim(line).empty();
}

}  // namespace

AttributeTable::AttributeTable(std::string path, std::vector<std::string> names)
    : path_(std::move(path)), names_(std::move(names)) {}

std::vector<int32_t> AttributeTable::row(int64_t r) const {
  const auto first = values_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(r) * names_.size());
  return {first, first + static_cast<std::ptrdiff_t>(names_.size())};
}

int32_t AttributeTable::value(int64_t r, size_t attribute) const {
  return values_.at(static_cast<size_t>(r) * names_.size() + attribute);
}

int64_t AttributeTable::find(const std::string& filename) const {
  const auto it = rows_.find(filename);
  return it == rows_.end() ? -1 : it->second;
}

std::vector<int32_t> AttributeTable::at(const std::string& filename) const {
  const int64_t r = find(filename);
  if (r < 0) fail(path_, "has no row for '{}'", filename);
  return row(r);
}

int64_t AttributeTable::attribute_index(const std::string& name) const {
  for (size_t a = 0; a < names_.size(); ++a)
    if (names_[a] == name) return static_cast<int64_t>(a);
  return -1;
}

void AttributeTable::add_row(const std::string& filename, const std::vector<int32_t>& values, const std::string& at) {
  if (filename.empty()) fail(at, "empty file name");
  if (values.size() != names_.size()) fail(at, "{} values, but there are {} attributes", values.size(), names_.size());
  const auto [it, inserted] = rows_.emplace(filename, size());
  if (!inserted) fail(at, "'{}' repeats row {}", filename, it->second + 1);
  filenames_.push_back(filename);
  values_.insert(values_.end(), values.begin(), values.end());
}

AttributeTable read_celeba_attributes(const std::string& path) {
  const auto lines = read_lines(path);
  if (lines.size() < 2) fail(path, "truncated: needs a row count line and an attribute name line");
  int64_t count = 0;
  if (!parse_int(trim(lines[0].second), count) || count < 0)
    fail(where(path, 1), "'{}' is not a row count", lines[0].second);
  std::vector<std::string> names;
  for (std::string_view name : split_spaces(lines[1].second)) names.emplace_back(name);
  if (names.empty()) fail(where(path, 2), "no attribute names");
  AttributeTable table(path, names);
  std::vector<int32_t> values(names.size());
  for (size_t l = 2; l < lines.size(); ++l) {
    const auto& [number, line] = lines[l];
    if (blank(line)) continue;
    const auto fields = split_spaces(line);
    if (fields.size() != names.size() + 1)
      fail(where(path, number), "{} fields, expected a file name and {} values", fields.size(), names.size());
    for (size_t a = 0; a < names.size(); ++a) {
      if (fields[a + 1] != "1" && fields[a + 1] != "-1")
        fail(where(path, number), "value '{}' of {} is not 1 or -1", fields[a + 1], names[a]);
      values[a] = fields[a + 1] == "1" ? 1 : 0;
    }
    table.add_row(std::string(fields[0]), values, where(path, number));
  }
  if (table.size() != count) fail(path, "line 1 announces {} rows, but the file holds {}", count, table.size());
  return table;
}

AttributeTable read_celeba_partition(const std::string& path) {
  AttributeTable table(path, {"partition"});
  for (const auto& [number, line] : read_lines(path)) {
    if (blank(line)) continue;
    const auto fields = split_spaces(line);
    if (fields.size() != 2) fail(where(path, number), "{} fields, expected 'filename 0|1|2'", fields.size());
    if (fields[1] != "0" && fields[1] != "1" && fields[1] != "2")
      fail(where(path, number), "partition '{}' is not 0, 1 or 2 (train, val, test)", fields[1]);
    table.add_row(std::string(fields[0]), {fields[1][0] - '0'}, where(path, number));
  }
  if (table.size() == 0) fail(path, "holds no rows");
  return table;
}

AttributeTable read_attribute_csv(const std::string& path) {
  const auto lines = read_lines(path);
  size_t l = 0;
  while (l < lines.size() && blank(lines[l].second)) ++l;
  if (l == lines.size()) fail(path, "empty: expected a header 'filename,attr1,...'");
  const std::string header_at = where(path, lines[l].first);
  std::vector<std::string> names = split_csv(lines[l].second, header_at);
  names.erase(names.begin());  // the file name column
  if (names.empty()) fail(header_at, "no attribute columns after the file name column");
  for (size_t a = 0; a < names.size(); ++a) {
    if (names[a].empty()) fail(header_at, "attribute column {} has no name", a + 2);
    for (size_t b = 0; b < a; ++b)
      if (names[a] == names[b]) fail(header_at, "attribute '{}' appears twice", names[a]);
  }
  AttributeTable table(path, names);
  std::vector<int32_t> values(names.size());
  for (++l; l < lines.size(); ++l) {
    const auto& [number, line] = lines[l];
    if (blank(line)) continue;
    const std::string at = where(path, number);
    const auto fields = split_csv(line, at);
    if (fields.size() != names.size() + 1)
      fail(at, "{} fields, but the header has {} columns", fields.size(), names.size() + 1);
    for (size_t a = 0; a < names.size(); ++a) {
      int64_t v = 0;
      if (!parse_int(fields[a + 1], v)) fail(at, "value '{}' of {} is not an integer", fields[a + 1], names[a]);
      if (v < 0)
        fail(at,
             "value {} of {} is negative: CSV attributes are 0/1 or value indices (CelebA's -1 is read only from "
             "list_attr_celeba.txt)",
             v, names[a]);
      if (v > INT32_MAX) fail(at, "value {} of {} does not fit 32 bits", v, names[a]);
      values[a] = static_cast<int32_t>(v);
    }
    table.add_row(fields[0], values, at);
  }
  if (table.size() == 0) fail(path, "has a header but no rows");
  return table;
}

int32_t celeba_partition_code(const std::string& split) {
  if (split == "train") return 0;
  if (split == "val" || split == "valid") return 1;
  if (split == "test") return 2;
  fail_usage("split", "'{}' is not a CelebA split (expected train, val or test)", split);
}

}  // namespace latentlab::datasets
