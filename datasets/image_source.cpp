#include "datasets/image_source.h"

#include "core/error.h"

namespace latentlab::datasets {

void check_index(const ImageSource& source, int64_t index) {
  if (index < 0 || index >= source.size())
    fail(source.info().spec, "index {} is outside [0, {})", index, source.size());
}

}  // namespace latentlab::datasets
