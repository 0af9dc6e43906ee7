// Issue #3, "each factor is recoverable": a classifier trained on seeded shapes renders predicts every
// factor of held-out renders near perfectly. The classifier is generic image statistics of the object (its
// foreground coverage moments, colour and gradient structure; nothing read from the generator) followed
// by a small MLP with one softmax head per factor, trained with Adam on the CPU. A tiny CNN on raw pixels was
// tried first and is far from converged in the CI budget (docs/datasets.md, "Recoverability").
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/Parallel.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "datasets/procedural/shape_render.h"
#include "datasets/procedural/shapes.h"

namespace latentlab::datasets {
namespace {

constexpr double kPi = 3.14159265358979323846;
enum { kShape, kScale, kRotation, kX, kY, kHue, kBackground, kTexture };

// Order of rotational symmetry of a solid shape as the generator draws it: the largest n <= 8 for which a
// turn by 360/n degrees leaves the render unchanged up to resampling noise (mean |difference| under one
// grey level; a turn by one rotation step, 5.625 degrees, changes it by several).
int symmetry_order(ShapeKind shape) {
  auto render = [&](double radians) {
    ShapeScene scene;
    scene.resolution = 128;
    scene.shape = shape;
    scene.rotation = radians;
    return render_scene(scene).pixels;
  };
  const auto upright = render(0);
  for (int n = 8; n > 1; --n) {
    const auto turned = render(2 * kPi / n);
    double diff = 0;
    for (size_t i = 0; i < upright.size(); ++i) diff += std::abs(upright[i] - turned[i]);
    if (diff / static_cast<double>(upright.size()) < 1.0) return n;
  }
  return 1;
}

// Generic statistics of one image of an object on a plain background (the top-left pixel). Coverage `a`
// is the colour distance to the background, saturated at 0.1 (every object colour is further away).
std::vector<float> object_features(const Image& image) {
  const int side = image.width;
  const auto px = [&](int y, int x, int c) {
    return image.pixels[(static_cast<size_t>(y) * side + x) * 3 + c] / 255.0;
  };
  std::vector<double> a(static_cast<size_t>(side) * side), grey(a.size());
  double m00 = 0, mx = 0, my = 0;
  int x_lo = side, x_hi = -1, y_lo = side, y_hi = -1;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      double d2 = 0;
      for (int c = 0; c < 3; ++c) d2 += std::pow(px(y, x, c) - px(0, 0, c), 2);
      const double v = std::min(1.0, std::sqrt(d2) / 0.1);
      const size_t i = static_cast<size_t>(y) * side + x;
      a[i] = v, grey[i] = (px(y, x, 0) + px(y, x, 1) + px(y, x, 2)) / 3;
      m00 += v, mx += v * (x + 0.5), my += v * (y + 0.5);
      if (v > 0.5)
        x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x), y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
    }
  const double cx = mx / m00, cy = my / m00;
  std::vector<float> f;
  for (int c = 0; c < 3; ++c) f.push_back(static_cast<float>(px(0, 0, c)));
  for (double v : {std::sqrt(m00), cx, cy, (x_lo + x_hi + 1) / 2.0, (y_lo + y_hi + 1) / 2.0})
    f.push_back(static_cast<float>(v / side));
  // Scale-normalised complex moments about the centroid: the phase of order n turns n times as fast as
  // the object, the magnitudes tell the shapes apart.
  std::array<std::complex<double>, 3> moment{};
  double spread = 0;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const double v = a[static_cast<size_t>(y) * side + x];
      const std::complex<double> z(x + 0.5 - cx, y + 0.5 - cy);
      const auto z2 = z * z;
      moment[0] += v * z2, moment[1] += v * z2 * z, moment[2] += v * z2 * z2;
      spread += v * std::norm(z);
    }
  for (int n = 2; n <= 4; ++n) {
    const auto m = moment[n - 2] / std::pow(m00, 1 + n / 2.0);
    const auto unit = m / (std::abs(m) + 1e-3);  // the phase alone, for shapes whose moment is small
    for (double v : {m.real(), m.imag(), std::abs(m)}) f.push_back(static_cast<float>(5 * v));
    for (double v : {unit.real(), unit.imag()}) f.push_back(static_cast<float>(v));
  }
  // Where the centroid sits in the bounding box: turns with an object without central symmetry (the heart).
  for (double v : {cx - (x_lo + x_hi + 1) / 2.0, cy - (y_lo + y_hi + 1) / 2.0})
    f.push_back(static_cast<float>(5 * v / std::sqrt(m00)));
  f.push_back(static_cast<float>(5 * spread / (m00 * m00)));
  // Colour and gradient structure tensor over the interior (fully covered pixels with covered
  // neighbours): solid is flat, stripes vary along one direction, checker along two.
  const auto covered = [&](int y, int x) { return a[static_cast<size_t>(y) * side + x] >= 1; };
  std::array<double, 3> colour{};
  double n_in = 0, jxx = 0, jyy = 0, jxy = 0;
  for (int y = 1; y + 1 < side; ++y)
    for (int x = 1; x + 1 < side; ++x) {
      if (!covered(y, x) || !covered(y - 1, x) || !covered(y + 1, x) || !covered(y, x - 1) || !covered(y, x + 1))
        continue;
      const size_t i = static_cast<size_t>(y) * side + x;
      for (int c = 0; c < 3; ++c) colour[c] += px(y, x, c);
      const double gx = (grey[i + 1] - grey[i - 1]) / 2, gy = (grey[i + side] - grey[i - side]) / 2;
      jxx += gx * gx, jyy += gy * gy, jxy += gx * gy, n_in += 1;
    }
  n_in = std::max(n_in, 1e-9);
  for (double c : colour) f.push_back(static_cast<float>(2 * c / n_in));
  const double trace = (jxx + jyy) / n_in, split = std::hypot(jxx - jyy, 2 * jxy) / n_in;
  f.push_back(static_cast<float>(10 * std::sqrt(trace)));
  f.push_back(static_cast<float>(split / (trace + 1e-9)));
  return f;
}

struct Split {
  at::Tensor features;  // N x F float
  at::Tensor factors;   // N x K int64
};

Split make_split(int resolution, int64_t size, int64_t seed) {
  ShapesOptions o;
  o.resolution = resolution, o.size = size, o.seed = seed;
  const ShapesGenerator gen(o);
  std::vector<float> features;
  std::vector<int64_t> factors;
  for (int64_t i = 0; i < size; ++i) {
    const auto example = gen.get(i);
    const auto f = object_features(example.image);
    features.insert(features.end(), f.begin(), f.end());
    factors.insert(factors.end(), example.attributes.begin(), example.attributes.end());
  }
  const auto k = static_cast<int64_t>(gen.factors().size());
  return {at::tensor(features).view({size, -1}), at::tensor(factors).view({size, k})};
}

// Two hidden layers of 128, one head per factor (logit slices); Adam with a fixed seed, the learning rate
// decaying linearly from 1e-2 to 0.
struct Mlp {
  std::vector<at::Tensor> params;
  at::Tensor forward(const at::Tensor& x) const {
    const auto h = at::relu(at::addmm(params[1], x, params[0]));
    const auto g = at::relu(at::addmm(params[3], h, params[2]));
    return at::addmm(params[5], g, params[4]);
  }
};

Mlp train(const at::Tensor& x, const at::Tensor& y, const std::vector<int64_t>& sizes, int steps) {
  at::manual_seed(0);
  int64_t outputs = 0;
  for (auto n : sizes) outputs += n;
  Mlp mlp;
  for (auto [in, out] : {std::pair<int64_t, int64_t>{x.size(1), 128}, {128, 128}, {128, outputs}}) {
    mlp.params.push_back((at::randn({in, out}) / std::sqrt(static_cast<double>(in))).requires_grad_());
    mlp.params.push_back(at::zeros({out}).requires_grad_());
  }
  torch::optim::Adam adam(mlp.params, torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < steps; ++step) {
    static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options()).lr(1e-2 * (steps - step) / steps);
    const auto batch = at::randint(x.size(0), {128}, at::kLong);
    const auto logits = mlp.forward(x.index_select(0, batch));
    const auto target = y.index_select(0, batch);
    at::Tensor loss = at::zeros({});
    int64_t offset = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      loss = loss + at::cross_entropy_loss(logits.narrow(1, offset, sizes[k]), target.select(1, k));
      offset += sizes[k];
    }
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  return mlp;
}

// The x/y factors are the object's centre for every shape and rotation: white on black, the coverage
// is the pixel value, and its centroid is the scene centre up to the supersampling grid (4 x at 64 px; a
// fine pixel moves a boundary by 1/4 px, the centroid by far less). The heart used to sit 0.062 of its
// extent off centre (1.7 px at this size, one position step), in a direction that turned with it.
TEST(ShapesRecoverability, EveryShapesCentroidIsItsPositionAtAnyRotation) {
  for (int shape = 0; shape < 4; ++shape)
    for (double degrees : {0.0, 33.75, 84.375}) {
      ShapeScene scene;
      scene.shape = static_cast<ShapeKind>(shape);
      scene.rotation = degrees * kPi / 180;
      scene.centre_x = 0.43, scene.centre_y = 0.61;
      const auto image = render_scene(scene);
      double area = 0, cx = 0, cy = 0;
      for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) {
          const double a = image.pixels[(static_cast<size_t>(y) * 64 + x) * 3] / 255.0;
          area += a, cx += a * (x + 0.5), cy += a * (y + 0.5);
        }
      EXPECT_NEAR(cx / area, 0.43 * 64, 0.1) << shape << " " << degrees;
      EXPECT_NEAR(cy / area, 0.61 * 64, 0.1) << shape << " " << degrees;
    }
}

TEST(ShapesRecoverability, EveryFactorIsPredictedNearPerfectlyFromPixels) {
  at::set_num_threads(2);
  constexpr int kResolution = 64;
  const ShapesGenerator gen(ShapesOptions{});
  const auto& factors = gen.factors();
  std::vector<int64_t> sizes;
  for (const auto& f : factors) sizes.push_back(static_cast<int64_t>(f.values.size()));

  // Rotation is judged modulo each shape's symmetry: a value counts as right when the predicted angle
  // differs from the true one by a multiple of 360/n degrees.
  std::vector<int> orders;
  std::vector<double> period;
  for (size_t s = 0; s < factors[kShape].values.size(); ++s) {
    orders.push_back(symmetry_order(static_cast<ShapeKind>(s)));
    period.push_back(360.0 / orders.back());
  }
  EXPECT_EQ(orders, (std::vector<int>{4, 2, 1, 3}));  // square, ellipse, heart, equilateral triangle

  const auto start = std::chrono::steady_clock::now();
  auto train_set = make_split(kResolution, 4000, 1), test_set = make_split(kResolution, 800, 2);
  // Standardised features, except that the size and position ones (3..7) stay in pixels: a unit step
  // of the input is then about one position step, which the heads can resolve without huge weights.
  const auto mean = train_set.features.mean(0), scale = train_set.features.std(0) + 1e-6;
  scale.narrow(0, 3, 5).fill_(1.0 / kResolution);
  std::printf("features %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const auto mlp = train((train_set.features - mean) / scale, train_set.factors, sizes, 2000);
  std::printf("trained %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  at::Tensor logits;
  {
    at::NoGradGuard no_grad;
    logits = mlp.forward((test_set.features - mean) / scale);
  }
  const auto truth = test_set.factors;
  const auto n = truth.size(0);
  int64_t offset = 0;
  std::vector<double> shape_right(period.size()), shape_count(period.size());
  for (size_t k = 0; k < factors.size(); ++k) {
    const auto predicted = logits.narrow(1, offset, sizes[k]).argmax(1);
    offset += sizes[k];
    int64_t right = 0;
    for (int64_t i = 0; i < n; ++i) {
      const auto p = predicted[i].item<int64_t>(), t = truth[i][k].item<int64_t>();
      if (k == kRotation) {
        const auto shape = truth[i][kShape].item<int64_t>();
        const double turn = std::abs(std::stod(factors[k].values[p]) - std::stod(factors[k].values[t]));
        const double rest = std::fmod(turn, period[shape]);
        const bool hit = rest < 1e-6 || rest > period[shape] - 1e-6;
        right += hit;
        shape_right[shape] += hit, shape_count[shape] += 1;
      } else {
        right += p == t;
      }
    }
    const double accuracy = static_cast<double>(right) / static_cast<double>(n);
    RecordProperty(factors[k].name, std::to_string(accuracy));
    std::printf("%s accuracy %.4f\n", factors[k].name.c_str(), accuracy);
    // "Near perfect": at most 3 % of held-out images wrong per factor. Measured (docs/datasets.md): 1.0 for
    // shape, scale, hue, texture; >= 0.996 for x, y, background; 0.974 for rotation, whose misses are mostly
    // hearts (0.925; one step is a 5.6 degree turn of a shape with no symmetry to lean on).
    EXPECT_GE(accuracy, 0.97) << factors[k].name;
  }
  for (size_t s = 0; s < period.size(); ++s)
    std::printf("rotation of %s (period %g degrees): %.4f\n", factors[kShape].values[s].c_str(), period[s],
                shape_right[s] / shape_count[s]);
}

}  // namespace
}  // namespace latentlab::datasets
