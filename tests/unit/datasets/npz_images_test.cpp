// ADM-style npz image batches written with io::write_npz (stored and deflated): exact pixels and labels, grey
// replication, the spec, concurrent get(), and every refusal naming the file.
#ifdef LATENTLAB_WITH_ZIP  // .npz needs libzip: without it this file tests nothing
#include "datasets/readers/npz_images.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/error.h"
#include "datasets/dataset_spec.h"
#include "io/npz.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::problem_of;

using testing::ScratchDir;

uint8_t pixel(int64_t n, int64_t y, int64_t x, int64_t c) {
  return static_cast<uint8_t>(n * 53 + y * 17 + x * 5 + c * 89);
}

// N x H x W x C uint8 (C = 0: rank 3) holding pixel(n, y, x, c).
io::Array images(int64_t n, int64_t h, int64_t w, int64_t c) {
  std::vector<uint8_t> bytes;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t k = 0; k < std::max<int64_t>(c, 1); ++k) bytes.push_back(pixel(i, y, x, k));
  io::Shape shape = {n, h, w};
  if (c > 0) shape.push_back(c);
  return io::Array::copy_of(io::DType::U8, shape, bytes.data(), bytes.size());
}

template <typename T>
io::Array labels(std::vector<T> values, io::DType dtype) {
  return io::Array::copy_of(dtype, {static_cast<int64_t>(values.size())}, values.data(), values.size() * sizeof(T));
}

void expect_rgb(const Example& e, int64_t n, int64_t h, int64_t w, bool grey) {
  ASSERT_EQ(e.image.height, h);
  ASSERT_EQ(e.image.width, w);
  ASSERT_EQ(e.image.pixels.size(), static_cast<size_t>(h * w * 3));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t c = 0; c < 3; ++c)
        ASSERT_EQ(e.image.pixels[static_cast<size_t>((y * w + x) * 3 + c)], pixel(n, y, x, grey ? 0 : c));
  EXPECT_EQ(e.key, "index:" + std::to_string(n));
}

TEST(NpzImagesTest, ReadsImagesAndLabelsStoredAndDeflated) {
  for (const bool compressed : {false, true}) {
    SCOPED_TRACE(compressed);
    ScratchDir dir;
    const std::string path = dir.file("samples.npz");
    io::write_npz(path, {{"arr_0", images(4, 3, 5, 3)}, {"arr_1", labels<int64_t>({7, 0, 2, 7}, io::DType::I64)}},
                  compressed);
    const NpzImages source(path);
    ASSERT_EQ(source.size(), 4);
    EXPECT_EQ(source.height(), 3);
    EXPECT_EQ(source.width(), 5);
    EXPECT_TRUE(source.has_labels());
    EXPECT_EQ(source.info().class_names.size(), 8u);
    EXPECT_EQ(source.info().spec, "npz:" + path);
    const std::vector<int64_t> expected_labels = {7, 0, 2, 7};
    for (int64_t n = 0; n < 4; ++n) {
      const Example e = source.get(n);
      expect_rgb(e, n, 3, 5, false);
      EXPECT_EQ(e.label, expected_labels[n]);
    }
    EXPECT_THROW(source.get(4), UserError);
  }
}

TEST(NpzImagesTest, GreyInt32LabelsAndNoLabels) {
  ScratchDir dir;
  io::write_npz(dir.file("grey.npz"),
                {{"arr_0", images(2, 4, 3, 0)}, {"arr_1", labels<int32_t>({1, 0}, io::DType::I32)}}, false);
  const NpzImages grey(dir.file("grey.npz"));
  expect_rgb(grey.get(1), 1, 4, 3, true);
  EXPECT_EQ(grey.get(0).label, 1);
  io::write_npz(dir.file("one.npz"), {{"arr_0", images(2, 4, 3, 1)}}, false);
  expect_rgb(NpzImages(dir.file("one.npz")).get(0), 0, 4, 3, true);
  // Without arr_1; extra members (reference batches carry statistics) are ignored.
  const double mu[2] = {0.5, 1.5};
  io::write_npz(dir.file("plain.npz"),
                {{"mu", io::Array::copy_of(io::DType::F64, {2}, mu, sizeof mu)}, {"arr_0", images(3, 2, 2, 3)}}, false);
  const auto plain = open_dataset("npz:" + dir.file("plain.npz"));
  EXPECT_EQ(plain->info().spec, "npz:" + dir.file("plain.npz"));
  EXPECT_TRUE(plain->info().class_names.empty());
  EXPECT_EQ(plain->get(2).label, -1);
  expect_rgb(plain->get(2), 2, 2, 2, false);
}

TEST(NpzImagesTest, GetIsThreadSafe) {
  ScratchDir dir;
  const std::string path = dir.file("samples.npz");
  io::write_npz(path, {{"arr_0", images(16, 4, 4, 3)}}, true);
  const NpzImages source(path);
  std::vector<int> ok(8, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 100; ++k) {
        const int64_t n = (t * 7 + k) % 16;
        const Example e = source.get(n);
        if (e.image.pixels[4] != pixel(n, 0, 1, 1) || e.image.pixels.back() != pixel(n, 3, 3, 2)) ok[t] = 0;
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[t], 1) << t;
}

TEST(NpzImagesTest, RefusesBrokenBatches) {
  ScratchDir dir;
  const std::string path = dir.file("bad.npz");
  const auto problem = [&](const io::NamedArrays& arrays) {
    io::write_npz(path, arrays, false);
    return problem_of([&] { NpzImages{path}; }, path);
  };
  EXPECT_CONTAINS(problem({{"arr_1", labels<int64_t>({1}, io::DType::I64)}}), "has no arr_0");
  EXPECT_CONTAINS(problem({{"arr_0", images(2, 3, 3, 4)}}), "expected N x H x W x 3");
  const uint8_t flat[6] = {};
  EXPECT_CONTAINS(problem({{"arr_0", io::Array::copy_of(io::DType::U8, {6}, flat, 6)}}), "has shape [6]");
  const float f[12] = {};
  EXPECT_CONTAINS(problem({{"arr_0", io::Array::copy_of(io::DType::F32, {1, 2, 2, 3}, f, sizeof f)}}),
                  "expected uint8");
  EXPECT_CONTAINS(problem({{"arr_0", images(0, 2, 2, 3)}}), "holds no images");
  EXPECT_CONTAINS(problem({{"arr_0", images(3, 2, 2, 3)}, {"arr_1", labels<int64_t>({1, 2}, io::DType::I64)}}),
                  "has shape [2], expected [3]");
  EXPECT_CONTAINS(problem({{"arr_0", images(2, 2, 2, 3)}, {"arr_1", labels<int64_t>({1, -1}, io::DType::I64)}}),
                  "holds -1 at index 1");
  EXPECT_CONTAINS(problem({{"arr_0", images(2, 2, 2, 3)}, {"arr_1", labels<float>({1, 2}, io::DType::F32)}}),
                  "expected int64 or int32");
  testing::write_bytes(path, "not a zip");
  EXPECT_THROW(NpzImages{path}, UserError);
  EXPECT_THROW(open_dataset("npz:"), UserError);
}

}  // namespace
}  // namespace latentlab::datasets
#endif  // LATENTLAB_WITH_ZIP
