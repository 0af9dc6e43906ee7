// Reconstruction grids: rows of images (originals, reconstructions, …) tiled into one RGB picture and written
// as PNG where OpenCV is built in (as datasets' export does), else as binary PPM (P6), which needs no library.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "datasets/image_source.h"

namespace latentlab::train {

// rows[r]: (N, 3, H, W) float in [-1, 1] (clamped), all the same shape; row r of the grid holds rows[r],
// one image per column, `pad` black pixels between cells.
datasets::Image tile_grid(const std::vector<at::Tensor>& rows, int pad = 2);
// Writes `stem`.png (OpenCV) or `stem`.ppm; returns the path written. UserError naming it on failure.
std::string write_grid_image(const std::string& stem, const datasets::Image& image);

}  // namespace latentlab::train
