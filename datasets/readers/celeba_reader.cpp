#include "datasets/readers/celeba_reader.h"

#include <filesystem>

#include "core/error.h"
#include "datasets/readers/attribute_table.h"
#include "datasets/readers/image_decode.h"

namespace fs = std::filesystem;

namespace latentlab::datasets {

CelebaReader::CelebaReader(const std::string& directory, const std::string& split)
    : image_directory_(directory + "/img_align_celeba") {
  // The split first: a mistyped split is a usage error, whatever the directory holds.
  const int32_t wanted = split == "all" ? -1 : celeba_partition_code(split);
  if (!image_decode_supported()) fail(directory, "CelebA images need OpenCV to decode, which this build lacks");
  std::error_code ec;
  if (!fs::is_directory(image_directory_, ec))
    fail(image_directory_, "no such directory (CelebA's aligned images, img_align_celeba.zip extracted)");
  const AttributeTable partition = read_celeba_partition(directory + "/list_eval_partition.txt");
  const AttributeTable attributes = read_celeba_attributes(directory + "/list_attr_celeba.txt");
  attribute_count_ = attributes.names().size();
  for (int64_t row = 0; row < partition.size(); ++row) {
    if (wanted >= 0 && partition.value(row, 0) != wanted) continue;
    const std::string& name = partition.filename(row);
    const auto values = attributes.at(name);  // names the attribute file when the row is missing
    if (!fs::is_regular_file(image_directory_ + "/" + name, ec))
      fail(image_directory_ + "/" + name, "no such file (listed in {})", partition.path());
    files_.push_back(name);
    attributes_.insert(attributes_.end(), values.begin(), values.end());
  }
  if (files_.empty()) fail(partition.path(), "lists no images of split '{}'", split);
  for (const auto& name : attributes.names()) info_.attributes.push_back({name, {"0", "1"}});
  info_.spec = "celeba:" + directory + ",split=" + split;
  info_.size = static_cast<int64_t>(files_.size());
  info_.description = fmt::format("CelebA {}: {} aligned face images, {} binary attributes ({})", split, info_.size,
                                  attribute_count_, directory);
}

Example CelebaReader::get(int64_t index) const {
  check_index(*this, index);
  const auto i = static_cast<size_t>(index);
  Example example;
  example.image = read_image(image_directory_ + "/" + files_[i]);
  const auto first = attributes_.begin() + static_cast<std::ptrdiff_t>(i * attribute_count_);
  example.attributes.assign(first, first + static_cast<std::ptrdiff_t>(attribute_count_));
  example.key = files_[i];
  return example;
}

}  // namespace latentlab::datasets
