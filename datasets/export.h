// Writes any ImageSource to a folder that image tools and other libraries read:
//   DIR/images/000000.png …   one PNG per example, named by index (zero-padded to the dataset size)
//   DIR/attributes.csv        filename,label,<attribute names…> (value indices; the attribute sidecar format)
//   DIR/dataset.json          spec, description, size, class names, attributes with their value lists
// The folder is written as DIR.partial-<pid> and renamed into place at the end, so an interrupted export
// leaves no DIR. An existing DIR made from the same spec is kept (the export is skipped); one made from
// another spec is an error.
#pragma once

#include <cstdint>
#include <string>

#include "datasets/image_source.h"

namespace latentlab::datasets {

struct ExportResult {
  int64_t written = 0;
  bool skipped = false;  // DIR already held this dataset
};

// `threads` <= 0 uses all cores. Progress goes to a ProgressBar.
ExportResult export_images(const ImageSource& source, const std::string& dir, int threads);

}  // namespace latentlab::datasets
