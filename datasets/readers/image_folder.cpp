#include "datasets/readers/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "datasets/readers/attribute_table.h"
#include "datasets/readers/image_decode.h"

namespace fs = std::filesystem;

namespace latentlab::datasets {
namespace {

constexpr int32_t kMaxValueIndex = 65535;

bool hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

// The image files below `root` (any depth), as paths relative to `base` with '/' separators, sorted.
// Directory symlinks below `root` are not followed, so a link loop cannot make the walk endless.
std::vector<std::string> image_files_below(const fs::path& root, const fs::path& base) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && is_image_file_name(it->path().filename().string()))
      files.push_back(it->path().lexically_relative(base).generic_string());
  }
  std::sort(files.begin(), files.end());  // std::string compares as unsigned bytes
  return files;
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string ext = name.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "webp" || ext == "bmp";
}

ImageFolder::ImageFolder(const std::string& directory, const std::string& attributes_csv) : directory_(directory) {
  if (!image_decode_supported()) fail(directory, "image folders need OpenCV to decode images, which this build lacks");
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    fail(directory, fs::exists(directory, ec) ? "not a directory" : "no such directory");
  try {
    std::vector<std::string> classes, loose;
    for (const auto& entry : fs::directory_iterator(directory)) {
      if (hidden(entry.path())) continue;
      const std::string name = entry.path().filename().string();
      if (entry.is_directory())
        classes.push_back(name);
      else if (entry.is_regular_file() && is_image_file_name(name))
        loose.push_back(name);
    }
    std::sort(classes.begin(), classes.end());
    std::sort(loose.begin(), loose.end());
    if (!classes.empty() && !loose.empty())
      fail(directory + "/" + loose.front(),
           "image file next to class sub-folders ({}, …): use either class sub-folders or a flat folder",
           classes.front());
    for (size_t c = 0; c < classes.size(); ++c) {
      const auto below = image_files_below(fs::path(directory) / classes[c], directory);
      if (below.empty()) fail(directory + "/" + classes[c], "class folder holds no .jpg/.jpeg/.png/.webp/.bmp files");
      files_.insert(files_.end(), below.begin(), below.end());
      labels_.insert(labels_.end(), below.size(), static_cast<int64_t>(c));
    }
    if (classes.empty()) {
      files_ = loose;
      labels_.assign(files_.size(), -1);
    }
    info_.class_names = classes;
  } catch (const fs::filesystem_error& e) {
    fail(e.path1().empty() ? directory : e.path1().string(), "cannot list: {}", e.code().message());
  }
  if (files_.empty()) fail(directory, "holds no .jpg/.jpeg/.png/.webp/.bmp files");
  if (!attributes_csv.empty()) attach_attributes(attributes_csv);
  info_.spec = "images:" + directory + (attributes_csv.empty() ? "" : ",attributes=" + attributes_csv);
  info_.size = static_cast<int64_t>(files_.size());
  info_.description = has_classes() ? fmt::format("image folder: {} images in {} class folders ({})", info_.size,
                                                  info_.class_names.size(), directory)
                                    : fmt::format("image folder: {} images, no classes ({})", info_.size, directory);
  if (!info_.attributes.empty()) info_.description += fmt::format(", {} attributes", info_.attributes.size());
}

void ImageFolder::attach_attributes(const std::string& csv) {
  const AttributeTable table = read_attribute_csv(csv);
  std::vector<int64_t> image_of_row(static_cast<size_t>(table.size()), -1);
  attributes_.reserve(files_.size());
  for (size_t i = 0; i < files_.size(); ++i) {
    const std::string& rel = files_[i];
    int64_t row = table.find(rel);
    if (row < 0) row = table.find(fs::path(rel).filename().string());
    if (row < 0) fail(csv, "has no row for '{}' (by relative path or file name)", rel);
    int64_t& owner = image_of_row[static_cast<size_t>(row)];
    if (owner >= 0)
      fail(csv, "row '{}' matches both '{}' and '{}': name the rows by relative path", table.filename(row),
           files_[static_cast<size_t>(owner)], rel);
    owner = static_cast<int64_t>(i);
    attributes_.push_back(table.row(row));
  }
  for (int64_t row = 0; row < table.size(); ++row)
    if (image_of_row[static_cast<size_t>(row)] < 0)
      fail(csv, "lists '{}', which is not an image file in {}", table.filename(row), directory_);
  // Values are 0/1 or value indices: each attribute's values are "0" .. its largest value (at least "1").
  for (size_t a = 0; a < table.names().size(); ++a) {
    int32_t largest = 1;
    for (const auto& values : attributes_) largest = std::max(largest, values[a]);
    // Factor values are listed one by one: a huge index is far more likely a wrong column than a real value.
    if (largest > kMaxValueIndex)
      fail(csv, "value {} of {} is above {}, too large for a value index", largest, table.names()[a], kMaxValueIndex);
    Factor factor{table.names()[a], {}};
    for (int32_t v = 0; v <= largest; ++v) factor.values.push_back(std::to_string(v));
    info_.attributes.push_back(std::move(factor));
  }
}

Example ImageFolder::get(int64_t index) const {
  check_index(*this, index);
  const auto i = static_cast<size_t>(index);
  Example example;
  example.image = read_image(directory_ + "/" + files_[i]);
  example.label = labels_[i];
  if (!attributes_.empty()) example.attributes = attributes_[i];
  example.key = files_[i];
  return example;
}

}  // namespace latentlab::datasets
