// CelebA (Liu et al., "Deep Learning Face Attributes in the Wild", ICCV 2015), aligned-and-cropped release,
// as distributed: a directory DIR holding
//   img_align_celeba/000001.jpg … 202599.jpg   178 x 218 JPEGs
//   list_attr_celeba.txt                       row count, 40 attribute names, then "file v1 … v40" with ±1
//   list_eval_partition.txt                    "file 0|1|2" per image: train / val / test
// (the two text formats are described and parsed in attribute_table.h).
// Splits: train, val (or valid), test by the official partition, or all. Order: the partition file's order
// (sorted file names in the published file). Every image of the split needs a row in list_attr_celeba.txt
// and an existing file under img_align_celeba/; both are checked on open, so a pass over the data cannot
// stop half-way on a missing file. Attributes are 0/1 (-1 read as 0), in the attribute file's order;
// label is -1 (CelebA has no classes); key is the file name ("000001.jpg").
// Decoding needs OpenCV (image_decode.h): without it the constructor refuses the directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::datasets {

class CelebaReader final : public ImageSource {
 public:
  // `split`: train, val, valid, test or all. info().spec is "celeba:DIRECTORY,split=SPLIT".
  CelebaReader(const std::string& directory, const std::string& split);

  const DatasetInfo& info() const override { return info_; }
  // image: as decoded (178 x 218 in the published set); attributes: one 0/1 value per attribute name.
  Example get(int64_t index) const override;

  // File names in index order.
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string image_directory_;
  std::vector<std::string> files_;
  std::vector<int32_t> attributes_;  // files_.size() x attribute count, row-major
  size_t attribute_count_ = 0;
  DatasetInfo info_;
};

}  // namespace latentlab::datasets
