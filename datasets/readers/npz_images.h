// Image batches in ADM's .npz form (openai/guided-diffusion evaluations/evaluator.py; sample scripts save
// them with np.savez): a zip of .npy members (io/npz.h) holding
//   arr_0   N x H x W x 3 uint8 RGB images (N x H x W, or N x H x W x 1, grey ones are replicated)
//   arr_1   optional N class labels, int64 or int32, each >= 0
// Other members (reference batches also carry "mu", "sigma", …) are ignored. Checks on open: arr_0 exists,
// is uint8 of rank 3 or 4 with 1 or 3 channels, C order, N >= 1 and H, W >= 1; arr_1, when present, is
// one-dimensional of length N with labels in [0, 2^20). Labels are read whole on open; images row by row on
// demand (io::NpzReader::read_rows), so a multi-gigabyte batch is never held in memory. Members written by
// np.savez_compressed are deflated: each get() then inflates the member from its start, so a full pass costs
// O(N^2) — prefer np.savez for large batches.
// Order: array order; key "index:N"; class names "0" .. "max label" when arr_1 is present.
// get() is thread-safe: NpzReader is not, so reads are serialised by a mutex.
// Needs libzip: without it the constructor refuses the file (io/zip_archive_unavailable.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::io {
class NpzReader;
}

namespace latentlab::datasets {

class NpzImages final : public ImageSource {
 public:
  // info().spec is "npz:PATH".
  explicit NpzImages(const std::string& path);
  ~NpzImages() override;

  const DatasetInfo& info() const override { return info_; }
  // image: H x W x 3 RGB; label: arr_1[index] or -1 without arr_1; key "index:N".
  Example get(int64_t index) const override;

  int height() const { return height_; }
  int width() const { return width_; }
  bool has_labels() const { return !labels_.empty(); }

 private:
  std::string path_;
  std::unique_ptr<const io::NpzReader> reader_;
  mutable std::mutex mutex_;  // guards reader_
  int height_ = 0;
  int width_ = 0;
  int channels_ = 3;
  std::vector<int64_t> labels_;
  DatasetInfo info_;
};

}  // namespace latentlab::datasets
