#include "metrics/reconstruction/ssim.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// The normalised 1-D Gaussian, `window` taps centred on the middle one (float64).
at::Tensor gaussian_taps(int window, double sigma) {
  const at::Tensor x = at::arange(window, at::kDouble) - (window - 1) / 2.0;
  const at::Tensor g = at::exp(-x.pow(2) / (2 * sigma * sigma));
  return g / g.sum();
}

}  // namespace

nlohmann::json SsimOptions::to_json() const {
  return {{"window", window}, {"sigma", sigma},           {"k1", k1},
          {"k2", k2},         {"data_range", data_range}, {"padding", "valid"}};
}

at::Tensor ssim_per_image(const at::Tensor& originals, const at::Tensor& reconstructions, const SsimOptions& options) {
  check_image_pairs(originals, reconstructions, kKeySsim);
  if (options.window < 1 || options.window % 2 == 0 || options.sigma <= 0)
    fail(kKeySsim, "needs an odd window and a positive sigma, got {} and {}", options.window, options.sigma);
  const int64_t h = originals.size(2), w = originals.size(3), c = originals.size(1);
  if (h < options.window || w < options.window)
    fail(kKeySsim, "images of {}x{} are smaller than the {}x{} window", h, w, options.window, options.window);
  const at::Tensor x = originals.to(at::kDouble), y = reconstructions.to(at::kDouble);
  // The five windowed moments in one depthwise pass: μx, μy, E[x²], E[y²], E[xy] per channel.
  const at::Tensor stack = at::cat({x, y, x * x, y * y, x * y}, 1);
  const int64_t groups = stack.size(1);
  const at::Tensor g = gaussian_taps(options.window, options.sigma).to(x.device());
  const at::Tensor along_w = g.view({1, 1, 1, -1}).expand({groups, 1, 1, options.window}).contiguous();
  const at::Tensor along_h = g.view({1, 1, -1, 1}).expand({groups, 1, options.window, 1}).contiguous();
  auto depthwise = [&](const at::Tensor& input, const at::Tensor& taps) {
    const std::vector<int64_t> ones = {1, 1}, zeros = {0, 0};
    return at::conv2d(input, taps, at::Tensor(), at::IntArrayRef(ones), at::IntArrayRef(zeros), at::IntArrayRef(ones),
                      groups);
  };
  const at::Tensor filtered = depthwise(depthwise(stack, along_w), along_h);
  const auto m = filtered.split(c, 1);
  const at::Tensor mu_x = m[0], mu_y = m[1];
  const at::Tensor var_x = m[2] - mu_x * mu_x, var_y = m[3] - mu_y * mu_y, cov = m[4] - mu_x * mu_y;
  const double c1 = std::pow(options.k1 * options.data_range, 2), c2 = std::pow(options.k2 * options.data_range, 2);
  const at::Tensor map =
      (2 * mu_x * mu_y + c1) * (2 * cov + c2) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2));
  return map.mean({2, 3}).mean(1).cpu();  // per channel, then over channels
}

}  // namespace latentlab::metrics
