// CIFAR-10 binary version (Krizhevsky, cifar-10-binary.tar.gz, extracted as cifar-10-batches-bin/).
// Each batch file is a plain run of 3073-byte records with no header:
//   1 label byte (0..9), then 1024 bytes of the red plane, 1024 green, 1024 blue, each plane 32x32 row-major.
// The published files hold 10000 records each: data_batch_1.bin .. data_batch_5.bin (train) and test_batch.bin
// (test). batches.meta.txt, when present, names the classes one per line in label order.
// Checks on open: every batch exists, its size is a non-zero multiple of 3073 bytes, every label is below the
// number of class names; the class file has exactly ten non-empty lines. Files are memory mapped.
// Order: batches in the order above, records in file order. get() interleaves the planes into HWC RGB.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::io {
class MappedFile;
}

namespace latentlab::datasets {

// The ten CIFAR-10 class names in label order (what batches.meta.txt holds).
const std::vector<std::string>& cifar10_class_names();

class Cifar10Reader final : public ImageSource {
 public:
  // `directory` is cifar-10-batches-bin; `split` is "train" (the five data batches) or "test" (test_batch.bin).
  // info().spec is "cifar10:DIRECTORY,split=SPLIT".
  Cifar10Reader(const std::string& directory, const std::string& split);
  ~Cifar10Reader() override;

  const DatasetInfo& info() const override { return info_; }
  // image: 32 x 32 x 3 RGB; label in [0, 10); key "index:N".
  Example get(int64_t index) const override;

  const std::vector<std::string>& batch_paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
  std::vector<std::shared_ptr<const io::MappedFile>> batches_;
  std::vector<int64_t> first_index_;  // global index of each batch's first record, plus the total at the end
  DatasetInfo info_;
};

}  // namespace latentlab::datasets
