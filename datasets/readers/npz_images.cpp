#include "datasets/readers/npz_images.h"

#include <algorithm>
#include <climits>

#include "core/error.h"
#include "io/npz.h"

namespace latentlab::datasets {

namespace {

// Labels become class names "0" .. max one by one: a larger label is a wrong array, not a class count.
constexpr int64_t kMaxLabel = (1 << 20) - 1;

std::vector<int64_t> read_labels(const io::NpzReader& reader, int64_t count) {
  const std::string& path = reader.path();
  const io::NpyHeader& h = reader.info("arr_1");
  if (h.dtype != io::DType::I64 && h.dtype != io::DType::I32)
    fail(path, "arr_1 (labels) is {}, expected int64 or int32", io::dtype_name(h.dtype));
  if (h.shape.size() != 1 || h.shape[0] != count)
    fail(path, "arr_1 (labels) has shape {}, expected [{}] to match arr_0's {} images", io::shape_string(h.shape),
         count, count);
  const io::Array array = reader.read("arr_1");
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (size_t i = 0; i < labels.size(); ++i) {
    labels[i] = h.dtype == io::DType::I64 ? reinterpret_cast<const int64_t*>(array.data)[i]
                                          : reinterpret_cast<const int32_t*>(array.data)[i];
    if (labels[i] < 0 || labels[i] > kMaxLabel)
      fail(path, "arr_1 (labels) holds {} at index {}, outside [0, {}]", labels[i], i, kMaxLabel);
  }
  return labels;
}

}  // namespace

NpzImages::NpzImages(const std::string& path) : path_(path) {
  auto reader = std::make_unique<const io::NpzReader>(path);  // without libzip this refuses the file
  if (!reader->contains("arr_0"))
    fail(path, "has no arr_0: ADM image batches hold their N x H x W x 3 uint8 images there");
  const io::NpyHeader& h = reader->info("arr_0");
  if (h.dtype != io::DType::U8) fail(path, "arr_0 is {}, expected uint8 images", io::dtype_name(h.dtype));
  const bool rank3 = h.shape.size() == 3, rank4 = h.shape.size() == 4;
  if (!rank3 && !(rank4 && (h.shape[3] == 3 || h.shape[3] == 1)))
    fail(path, "arr_0 has shape {}, expected N x H x W x 3 (or N x H x W grey)", io::shape_string(h.shape));
  if (h.fortran_order) fail(path, "arr_0 is stored in Fortran order; save it with np.ascontiguousarray");
  if (h.shape[0] == 0) fail(path, "arr_0 holds no images (shape {})", io::shape_string(h.shape));
  if (h.shape[1] < 1 || h.shape[2] < 1 || h.shape[1] > INT_MAX || h.shape[2] > INT_MAX)
    fail(path, "arr_0 has shape {}: image sides must be in [1, {}]", io::shape_string(h.shape), INT_MAX);
  height_ = static_cast<int>(h.shape[1]);
  width_ = static_cast<int>(h.shape[2]);
  channels_ = rank4 ? static_cast<int>(h.shape[3]) : 1;
  if (reader->contains("arr_1")) labels_ = read_labels(*reader, h.shape[0]);
  reader_ = std::move(reader);
  if (!labels_.empty()) {
    const int64_t classes = *std::max_element(labels_.begin(), labels_.end()) + 1;
    for (int64_t c = 0; c < classes; ++c) info_.class_names.push_back(std::to_string(c));
  }
  info_.spec = "npz:" + path;
  info_.size = h.shape[0];
  info_.description = fmt::format("npz image batch: {} {}x{} {} images{} ({})", info_.size, height_, width_,
                                  channels_ == 1 ? "grey" : "RGB",
                                  labels_.empty() ? "" : fmt::format(", {} classes", info_.class_names.size()), path);
}

Example NpzImages::get(int64_t index) const {
  check_index(*this, index);
  io::Array row;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    row = reader_->read_rows("arr_0", index, 1);
  }
  Example example;
  example.image.height = height_;
  example.image.width = width_;
  const size_t pixels = static_cast<size_t>(height_) * static_cast<size_t>(width_);
  if (channels_ == 3) {
    example.image.pixels.assign(row.data, row.data + 3 * pixels);
  } else {
    example.image.pixels.resize(3 * pixels);
    for (size_t i = 0; i < pixels; ++i) std::fill_n(example.image.pixels.data() + 3 * i, 3, row.data[i]);
  }
  example.label = labels_.empty() ? -1 : labels_[static_cast<size_t>(index)];
  example.key = "index:" + std::to_string(index);
  return example;
}

NpzImages::~NpzImages() = default;

}  // namespace latentlab::datasets
