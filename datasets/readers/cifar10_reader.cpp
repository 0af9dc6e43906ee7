#include "datasets/readers/cifar10_reader.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "io/mapped_file.h"

namespace latentlab::datasets {
namespace {

constexpr int kSide = 32;
constexpr size_t kPlane = kSide * kSide;
constexpr size_t kRecord = 1 + 3 * kPlane;  // 3073

// batches.meta.txt: one name per line; blank lines (the published file ends with one) and CR are ignored.
std::vector<std::string> read_class_names(const std::string& path) {
  const std::vector<uint8_t> bytes = io::read_file(path);
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.size() != cifar10_class_names().size())
    fail(path, "names {} classes, but CIFAR-10 has {}", names.size(), cifar10_class_names().size());
  return names;
}

}  // namespace

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                 "dog",      "frog",       "horse", "ship", "truck"};
  return names;
}

Cifar10Reader::Cifar10Reader(const std::string& directory, const std::string& split) {
  if (split == "train") {
    for (int b = 1; b <= 5; ++b) paths_.push_back(directory + "/data_batch_" + std::to_string(b) + ".bin");
  } else if (split == "test") {
    paths_.push_back(directory + "/test_batch.bin");
  } else {
    fail_usage("split", "'{}' is not a CIFAR-10 split (expected train or test)", split);
  }
  const std::string meta = directory + "/batches.meta.txt";
  info_.class_names = std::filesystem::exists(meta) ? read_class_names(meta) : cifar10_class_names();
  first_index_.push_back(0);
  for (const std::string& path : paths_) {
    auto batch = io::MappedFile::open(path);
    const size_t size = batch->size();
    if (size == 0) fail(path, "empty: a CIFAR-10 batch holds 3073-byte records");
    if (size % kRecord != 0)
      fail(path, "truncated or not a CIFAR-10 batch: {} bytes is not a multiple of the {}-byte record ({} + {} bytes)",
           size, kRecord, size / kRecord, size % kRecord);
    const size_t records = size / kRecord;
    for (size_t r = 0; r < records; ++r) {
      const uint8_t label = batch->data()[r * kRecord];
      if (label >= info_.class_names.size())
        fail(path, "label {} of record {} is outside [0, {})", label, r, info_.class_names.size());
    }
    first_index_.push_back(first_index_.back() + static_cast<int64_t>(records));
    batches_.push_back(std::move(batch));
  }
  info_.spec = "cifar10:" + directory + ",split=" + split;
  info_.size = first_index_.back();
  info_.description = fmt::format("CIFAR-10 {}: {} 32x32 RGB images in {} batch file(s), {} classes ({})", split,
                                  info_.size, paths_.size(), info_.class_names.size(), directory);
}

Cifar10Reader::~Cifar10Reader() = default;

Example Cifar10Reader::get(int64_t index) const {
  check_index(*this, index);
  // The batch whose range [first_index_[b], first_index_[b + 1]) holds `index`.
  const size_t b =
      static_cast<size_t>(std::upper_bound(first_index_.begin(), first_index_.end(), index) - first_index_.begin() - 1);
  const uint8_t* record = batches_[b]->data() + static_cast<size_t>(index - first_index_[b]) * kRecord;
  Example example;
  example.label = record[0];
  example.key = "index:" + std::to_string(index);
  example.image.height = kSide;
  example.image.width = kSide;
  example.image.pixels.resize(3 * kPlane);
  uint8_t* rgb = example.image.pixels.data();
  const uint8_t* planes = record + 1;
  for (size_t i = 0; i < kPlane; ++i)
    for (size_t c = 0; c < 3; ++c) rgb[3 * i + c] = planes[c * kPlane + i];
  return example;
}

}  // namespace latentlab::datasets
