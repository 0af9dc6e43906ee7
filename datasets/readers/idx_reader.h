// IDX files: MNIST and Fashion-MNIST as LeCun distributes them, raw or gzipped.
// Layout (all integers big-endian):
//   magic: 0x00 0x00 <element type> <number of dimensions>   (type 0x08 = unsigned byte)
//   one uint32 per dimension, then the elements in C order.
// A split is two files: PREFIX-images-idx3-ubyte (magic 0x00000803; count, rows, cols; grey pixels) and
// PREFIX-labels-idx1-ubyte (magic 0x00000801; count; one label byte each), either of them optionally ".gz".
// Checks on open: both magics, element type, equal counts, every label in [0, 10), and that each file holds
// exactly header + data bytes (after decompression), with sizes overflow-checked. Raw files are memory
// mapped; gzipped files are inflated once into memory (47 MB for the MNIST training images).
// Order: file order. Images are 28x28 grey in the published sets, replicated to RGB by get().
// Gzip needs zlib (LATENTLAB_WITH_ZLIB); without it a .gz file is refused with a message saying so.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::datasets {

namespace detail {
struct IdxFile;
}

// True where the library was built with zlib and can read .gz IDX files.
bool idx_gzip_supported();

// Fashion-MNIST's ten class names, in label order.
const std::vector<std::string>& fashion_mnist_class_names();

class IdxReader final : public ImageSource {
 public:
  // `prefix` such as "/usr/share/datasets/fashion-mnist/train" names PREFIX-images-idx3-ubyte[.gz] and
  // PREFIX-labels-idx1-ubyte[.gz]; where both the raw and the .gz file exist the raw one is read.
  // Class names are Fashion-MNIST's when the prefix contains "fashion" (any case), else "0".."9".
  static std::unique_ptr<IdxReader> open(const std::string& prefix);
  // `split` is "train", or "test" / "t10k" (the published test files are named t10k-*).
  static std::unique_ptr<IdxReader> open(const std::string& directory, const std::string& split);
  // The two files named explicitly; `spec` is what info().spec reports.
  IdxReader(const std::string& images_path, const std::string& labels_path, const std::string& spec);
  ~IdxReader() override;

  const DatasetInfo& info() const override { return info_; }
  // image: rows() x cols() x 3, grey replicated; label in [0, 10); key "index:N".
  Example get(int64_t index) const override;

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  const std::string& images_path() const { return images_path_; }
  const std::string& labels_path() const { return labels_path_; }

 private:
  std::string images_path_;
  std::string labels_path_;
  std::unique_ptr<detail::IdxFile> images_;
  std::unique_ptr<detail::IdxFile> labels_;
  int rows_ = 0;
  int cols_ = 0;
  DatasetInfo info_;
};

}  // namespace latentlab::datasets
