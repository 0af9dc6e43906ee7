// A folder of image files, in one of two layouts:
//  - class sub-folders (ImageNet train/val as torchvision's ImageFolder reads them): every immediate
//    sub-directory of DIR is a class; classes are sorted by name (byte order) and a class's label is its
//    index in that order. Images are found at any depth below their class folder. Image files directly in
//    DIR next to class folders are refused as ambiguous;
//  - flat: DIR holds image files only; every label is -1.
// Image files are those ending in .jpg, .jpeg, .png, .webp or .bmp (any case); other files are ignored, and
// so are entries whose name starts with '.'. Symbolic links to files and to class folders are followed.
// An empty folder or class folder is refused.
// Order: by class index, then by relative path in byte order (for ImageNet's equally long class names this
// is the byte order of the relative paths). Example::key is the relative path with '/' separators
// ("n01440764/n01440764_10026.JPEG", or "0001.png" when flat).
//
// Optional attribute sidecar: a CSV read by read_attribute_csv (attribute_table.h). Each image takes the row
// whose file name equals its relative path or, failing that, its file name. Every image needs exactly one
// row and every row must match an image; otherwise the CSV is named with the offending file.
// Decoding needs OpenCV (image_decode.h): without it the constructor refuses the folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::datasets {

// True for the extensions image folders read: jpg, jpeg, png, webp, bmp, compared case-insensitively.
bool is_image_file_name(const std::string& name);

class ImageFolder final : public ImageSource {
 public:
  // `attributes_csv` empty: no attributes. info().spec is "images:DIRECTORY[,attributes=CSV]".
  explicit ImageFolder(const std::string& directory, const std::string& attributes_csv = "");

  const DatasetInfo& info() const override { return info_; }
  // image: as decoded (sizes may differ between images); label: class index or -1; attributes: the sidecar
  // row or empty; key: the relative path. A file that fails to decode is a UserError naming it.
  Example get(int64_t index) const override;

  const std::string& directory() const { return directory_; }
  // Relative paths in index order.
  const std::vector<std::string>& files() const { return files_; }
  // True for the class sub-folder layout.
  bool has_classes() const { return !info_.class_names.empty(); }

 private:
  void attach_attributes(const std::string& csv);

  std::string directory_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  std::vector<std::vector<int32_t>> attributes_;  // per image, or empty
  DatasetInfo info_;
};

}  // namespace latentlab::datasets
