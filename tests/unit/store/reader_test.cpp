// StoreReader and LatentLoader: row order and shuffled epochs (each row once per epoch, same batches for
// the same seed whatever the prefetch depth), sampling z = mean + std * eps, random flips, several readers
// at once, and one clear error for every broken store we have met (missing, not HDF5, truncated, zeroed
// header, incomplete, another HDF5 file, a newer schema).
#include <gtest/gtest.h>

#include <hdf5.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "store/reader.h"
#include "store_test_util.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::store {
namespace {

using namespace store::testing;
using latentlab::testing::problem_of;
using latentlab::testing::read_text;
using latentlab::testing::ScratchDir;
using latentlab::testing::write_bytes;

struct Fixture {
  ScratchDir dir;
  std::string path = dir.file("s.h5");
  StoreIdentity id = test_identity(LatentDType::Float16, /*flip=*/true);
  explicit Fixture(int64_t rows = 50) { write_store(path, id, iota_positions(rows), 16); }
};

std::vector<LatentBatch> all_batches(LatentLoader& loader) {
  std::vector<LatentBatch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

TEST(LatentLoader, RowOrderStreamsEveryRowOnce) {
  Fixture f;
  StoreReader reader(f.path);
  LoaderOptions o;
  o.batch_size = 16;
  LatentLoader loader(reader, o);
  const auto batches = all_batches(loader);
  ASSERT_EQ(batches.size(), 4u);  // 16 + 16 + 16 + 2
  EXPECT_EQ(batches.back().rows, (std::vector<int64_t>{48, 49}));
  int64_t row = 0;
  for (const auto& b : batches)
    for (const int64_t r : b.rows) EXPECT_EQ(r, row++);
  const auto direct = reader.read(batches[1].rows);
  EXPECT_TRUE(at::equal(batches[1].mean, direct.mean));
  EXPECT_TRUE(at::equal(batches[1].std, direct.std));
  EXPECT_FALSE(batches[0].z.defined());
}

TEST(LatentLoader, ShuffledEpochsCoverAllRowsAndDependOnlyOnTheSeed) {
  Fixture f;
  StoreReader reader(f.path);
  LoaderOptions o;
  o.batch_size = 7, o.shuffle = true, o.seed = 42, o.epochs = 3, o.sample = true, o.random_flip = true;
  o.prefetch = 0;
  LatentLoader plain(reader, o);
  o.prefetch = 3;
  LatentLoader prefetched(reader, o);
  const auto a = all_batches(plain), b = all_batches(prefetched);
  ASSERT_EQ(a.size(), 3u * 8u);
  ASSERT_EQ(a.size(), b.size());
  std::vector<std::vector<int64_t>> epochs(3);
  int64_t flips = 0, values = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rows, b[i].rows);
    EXPECT_EQ(a[i].flipped, b[i].flipped);
    EXPECT_TRUE(at::equal(a[i].z, b[i].z));
    epochs[a[i].epoch].insert(epochs[a[i].epoch].end(), a[i].rows.begin(), a[i].rows.end());
    for (const auto fl : a[i].flipped) flips += fl;
    values += static_cast<int64_t>(a[i].rows.size());
  }
  for (auto& e : epochs) {
    auto sorted = e;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, iota_positions(50));  // every row exactly once per epoch
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[0], iota_positions(50));
  // Flips: a fair coin per row (150 draws: 75 +- 4 sigma).
  EXPECT_NEAR(static_cast<double>(flips), values / 2.0, 25.0);
  // Another seed, another order.
  o.seed = 43;
  LatentLoader other(reader, o);
  EXPECT_NE(other.epoch_order(0), plain.epoch_order(0));
}

TEST(LatentLoader, SampleIsMeanPlusStdTimesGaussianNoise) {
  Fixture f(200);
  StoreReader reader(f.path);
  LoaderOptions o;
  o.batch_size = 64, o.sample = true, o.random_flip = true, o.seed = 5;
  LatentLoader loader(reader, o);
  std::vector<at::Tensor> eps;
  for (auto b = loader.next(); b; b = loader.next()) {
    eps.push_back(((b->z - b->mean) / b->std).flatten());
    // Flipped rows hold the flipped copies.
    const auto again = reader.read(b->rows, b->flipped);
    EXPECT_TRUE(at::equal(again.mean, b->mean));
  }
  const auto e = at::cat(eps).to(at::kDouble);
  // 12000 standard normal draws: mean within 4/sqrt(n), variance within 4*sqrt(2/n).
  EXPECT_NEAR(e.mean().item<double>(), 0.0, 4.0 / std::sqrt(12000.0));
  EXPECT_NEAR(e.var().item<double>(), 1.0, 4.0 * std::sqrt(2.0 / 12000.0));
}

TEST(StoreReader, SeveralReadersAtOnce) {
  Fixture f(120);
  const auto run = [&](std::vector<LatentBatch>* out) {
    StoreReader reader(f.path);
    LoaderOptions o;
    o.batch_size = 8, o.shuffle = true, o.seed = 9, o.sample = true, o.random_flip = true, o.epochs = 2;
    LatentLoader loader(reader, o);
    *out = all_batches(loader);
  };
  std::vector<LatentBatch> results[4];
  std::vector<std::thread> threads;
  for (auto& r : results) threads.emplace_back(run, &r);
  for (auto& t : threads) t.join();
  for (int i = 1; i < 4; ++i) {
    ASSERT_EQ(results[i].size(), results[0].size());
    for (size_t b = 0; b < results[0].size(); ++b) EXPECT_TRUE(at::equal(results[i][b].z, results[0][b].z));
  }
}

void set_schema_version(const std::string& path, int64_t version) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t attribute = H5Aopen(file, "schema_version", H5P_DEFAULT);
  H5Awrite(attribute, H5T_NATIVE_INT64, &version);
  H5Aclose(attribute);
  H5Fclose(file);
}

TEST(StoreReader, BrokenStoresFailWithOneClearError) {
  Fixture f(20);
  const std::string good = read_text(f.path);
  const auto opening = [](const std::string& path) { return problem_of([&] { StoreReader r(path); }, path); };
  EXPECT_CONTAINS(opening(f.dir.file("none.h5")), "no such file");
  write_bytes(f.dir.file("text.h5"), "just some text, not HDF5 at all");
  EXPECT_CONTAINS(opening(f.dir.file("text.h5")), "not an HDF5 file");
  write_bytes(f.dir.file("half.h5"), good.substr(0, good.size() / 2));
  EXPECT_CONTAINS(opening(f.dir.file("half.h5")), "truncated");
  write_bytes(f.dir.file("tiny.h5"), good.substr(0, 600));
  EXPECT_CONTAINS(opening(f.dir.file("tiny.h5")), "truncated");
  std::string zeroed = good;
  std::fill(zeroed.begin(), zeroed.begin() + 64, '\0');
  write_bytes(f.dir.file("zeroed.h5"), zeroed);
  EXPECT_CONTAINS(opening(f.dir.file("zeroed.h5")), "not an HDF5 file");
  // An HDF5 file that is not a store.
  const hid_t other = H5Fcreate(f.dir.file("other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(other);
  EXPECT_CONTAINS(opening(f.dir.file("other.h5")), "not a latentlab latent store");
  write_bytes(f.dir.file("newer.h5"), good);
  set_schema_version(f.dir.file("newer.h5"), 99);
  EXPECT_CONTAINS(opening(f.dir.file("newer.h5")), "schema version 99 is not readable");
  {
    auto writer = StoreWriter::open_or_resume(f.dir.file("partial.h5"), f.id, 20);
    writer.append(make_batch(f.id, {0, 1}));
  }
  EXPECT_CONTAINS(opening(f.dir.file("partial.h5")), "incomplete store");
  EXPECT_CONTAINS(problem_of([&] { StoreReader(f.path).read({20}); }, f.path), "row 20 outside 0..19");
  StoreReader reader(f.path);  // the good one still reads
  EXPECT_EQ(reader.read({19}).rows, std::vector<int64_t>{19});
}

}  // namespace
}  // namespace latentlab::store
