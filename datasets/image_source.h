// The one interface every dataset reader and generator implements: random access to examples by index.
// Conventions fixed here for all of datasets/:
//  - pixels are uint8 RGB, row-major H x W x 3 (HWC); grey, alpha and 16-bit inputs are converted by the
//    reader, so consumers never branch on the source format;
//  - indices run 0..size()-1 in a stable, documented order (sorted file names, file order of a binary);
//  - get() is thread-safe (the pipeline calls it from several threads) and deterministic;
//  - labels: `label` is a class index or -1; `attributes` has one integer per attribute name (binary
//    attributes are 0/1; procedural factors are value indices into the factor's value list).
// Torch-free on purpose: readers are plain C++ and fast to compile; batches become tensors in the pipeline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace latentlab::datasets {

struct Image {
  int height = 0;
  int width = 0;
  std::vector<uint8_t> pixels;  // height * width * 3, RGB
};

struct Example {
  Image image;
  int64_t label = -1;
  std::vector<int32_t> attributes;
  std::string key;  // file name or "index:N"
};

// A discrete ground-truth factor or attribute: its name and the values its indices stand for.
struct Factor {
  std::string name;
  std::vector<std::string> values;  // printable value per index ("0.5", "heart", "0", "1", …)
};

struct DatasetInfo {
  std::string spec;         // the spec it was opened from, printable and re-openable
  std::string description;  // one line
  int64_t size = 0;
  std::vector<std::string> class_names;  // empty when there are no class labels
  std::vector<Factor> attributes;        // empty when there are no attributes
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual const DatasetInfo& info() const = 0;
  int64_t size() const { return info().size; }
  // Throws UserError naming the file for an unreadable item; index must be in [0, size()).
  virtual Example get(int64_t index) const = 0;
};

}  // namespace latentlab::datasets

namespace latentlab::datasets {

// Throws a UserError naming the dataset when `index` is outside [0, size()).
void check_index(const ImageSource& source, int64_t index);

}  // namespace latentlab::datasets
