// Per-image attribute tables, read independently of the images they describe. Three text formats:
//  - CelebA list_attr_celeba.txt: line 1 the row count; line 2 the attribute names (40 in CelebA), separated by
//    spaces; then one row per image: "filename v1 ... vN" with every value 1 or -1, read as 1 / 0. Runs of
//    spaces are one separator (the published file pads with them).
//  - CelebA list_eval_partition.txt: "filename 0|1|2" per line (train / val / test), read as a table with the
//    single attribute "partition".
//  - CSV sidecar: a header "filename,attr1,attr2,..." (the first column holds file names whatever its header
//    says), then one row per image. Values are non-negative integers: 0/1 for binary attributes, value indices
//    otherwise (image_source.h). Negative values, CelebA's -1 included, are refused rather than mapped, because
//    in a CSV -1 cannot be told apart from a mistake in an integer attribute; convert ±1 files with
//    read_celeba_attributes. Fields may be double-quoted ("a,b.png", "" for a quote) but may not span lines;
//    spaces around unquoted fields, blank lines, CR line ends and a UTF-8 byte-order mark are ignored.
// All three refuse duplicate file names, wrong field counts and bad values; errors name "FILE:LINE".
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace latentlab::datasets {

class AttributeTable {
 public:
  // An empty table with these attribute names; `path` is named by errors and lookups.
  AttributeTable(std::string path, std::vector<std::string> names);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& names() const { return names_; }
  int64_t size() const { return static_cast<int64_t>(filenames_.size()); }  // rows, file order
  const std::string& filename(int64_t row) const { return filenames_.at(static_cast<size_t>(row)); }
  // names().size() values of `row`, in names() order.
  std::vector<int32_t> row(int64_t row) const;
  int32_t value(int64_t row, size_t attribute) const;
  // The row holding `filename`, or -1.
  int64_t find(const std::string& filename) const;
  // The values of `filename`; throws UserError naming path() when the table has no such row.
  std::vector<int32_t> at(const std::string& filename) const;
  // Index of the attribute called `name`, or -1.
  int64_t attribute_index(const std::string& name) const;

  // Appends a row; `where` ("FILE:LINE") is named when the file name repeats or the value count is wrong.
  void add_row(const std::string& filename, const std::vector<int32_t>& values, const std::string& where);

 private:
  std::string path_;
  std::vector<std::string> names_;
  std::vector<std::string> filenames_;
  std::vector<int32_t> values_;  // size() x names().size(), row-major
  std::unordered_map<std::string, int64_t> rows_;
};

AttributeTable read_celeba_attributes(const std::string& path);
AttributeTable read_celeba_partition(const std::string& path);
AttributeTable read_attribute_csv(const std::string& path);

// The partition value of a CelebA split name: "train" 0, "val" (or "valid") 1, "test" 2; usage error otherwise.
int32_t celeba_partition_code(const std::string& split);

}  // namespace latentlab::datasets
