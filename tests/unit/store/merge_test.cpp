// merge_shards and verify_store: shards written with --shard i/n merge into the store one process writes
// (datasets byte for byte, statistics to float64 rounding); shards of another identity, missing or
// duplicated shards are refused naming the shard; verify finds NaNs and statistics that do not match.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <algorithm>

#include "store/merge.h"
#include "store/reader.h"
#include "store/verify.h"
#include "store_test_util.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::store {
namespace {

using namespace store::testing;
using latentlab::testing::problem_of;
using latentlab::testing::ScratchDir;

StoreIdentity shard_identity(int64_t index, int64_t count) {
  auto id = test_identity(LatentDType::Float16, /*flip=*/true, /*key_width=*/32);
  id.shard_index = index, id.shard_count = count;
  return id;
}

std::vector<std::string> write_shards(const ScratchDir& dir, int64_t total, int64_t count) {
  std::vector<std::string> paths;
  for (int64_t i = count - 1; i >= 0; --i) {  // any order on the command line
    paths.push_back(dir.file("shard" + std::to_string(i) + ".h5"));
    write_store(paths.back(), shard_identity(i, count), shard_positions(total, i, count), 5);
  }
  return paths;
}

TEST(StoreMerge, ShardsMergeIntoTheSingleProcessStore) {
  ScratchDir dir;
  const int64_t total = 41;
  write_store(dir.file("single.h5"), shard_identity(0, 1), iota_positions(total), 8);
  const auto shards = write_shards(dir, total, 3);
  MergeOptions o;
  o.batch_size = 10;
  const auto result = merge_shards(shards, dir.file("merged.h5"), o);
  EXPECT_EQ(result.rows, total);
  EXPECT_EQ(result.shards, 3);
  EXPECT_FALSE(result.already_complete);
  StoreReader single(dir.file("single.h5")), merged(dir.file("merged.h5"));
  EXPECT_EQ(identity_difference(single.info().header.identity, merged.info().header.identity), "");
  for (const auto& name : row_dataset_names(merged.info().header.identity))
    EXPECT_TRUE(single.read_raw(name, 0, total) == merged.read_raw(name, 0, total)) << name;
  // Chan merge of the shard statistics vs. batch-by-batch accumulation: float64 rounding only.
  for (int c = 0; c < 4; ++c) {
    EXPECT_NEAR(merged.info().channel_mean[c], single.info().channel_mean[c], 1e-13);
    EXPECT_NEAR(merged.info().channel_std[c], single.info().channel_std[c], 1e-13);
  }
  EXPECT_EQ(merged.info().statistics.count(), single.info().statistics.count());
  const auto report = verify_store(dir.file("merged.h5"), 16);
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.rows_read, total);
  EXPECT_LT(report.max_statistics_error, 1e-12);
  // Merging again finds the finished output.
  EXPECT_TRUE(merge_shards(shards, dir.file("merged.h5"), o).already_complete);
}

// With teacher tokens (and their flipped copies) the merged tokens equal the single-process store's too.
TEST(StoreMerge, TeacherTokensMergeIntoTheSingleProcessStore) {
  ScratchDir dir;
  const int64_t total = 19;
  const auto tokens = [](int64_t index, int64_t count) { return with_teacher_tokens(shard_identity(index, count)); };
  write_store(dir.file("single.h5"), tokens(0, 1), iota_positions(total), 8);
  std::vector<std::string> shards;
  for (int64_t i = 0; i < 2; ++i) {
    shards.push_back(dir.file("tokens" + std::to_string(i) + ".h5"));
    write_store(shards.back(), tokens(i, 2), shard_positions(total, i, 2), 3);
  }
  MergeOptions o;
  o.batch_size = 7;
  merge_shards(shards, dir.file("merged.h5"), o);
  StoreReader single(dir.file("single.h5")), merged(dir.file("merged.h5"));
  EXPECT_EQ(identity_difference(single.info().header.identity, merged.info().header.identity), "");
  const auto names = row_dataset_names(merged.info().header.identity);
  EXPECT_EQ(std::count(names.begin(), names.end(), "teacher_tokens_flip"), 1);
  for (const auto& name : names)
    EXPECT_TRUE(single.read_raw(name, 0, total) == merged.read_raw(name, 0, total)) << name;
  const auto report = verify_store(dir.file("merged.h5"), 8);
  EXPECT_TRUE(report.ok()) << report.problems.front();
  // A shard without tokens does not merge with one that has them.
  write_store(dir.file("plain1.h5"), shard_identity(1, 2), shard_positions(total, 1, 2), 3);
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        merge_shards({shards[0], dir.file("plain1.h5")}, dir.file("m.h5"));
                      },
                      dir.file("plain1.h5")),
                  "different teacher");
}

TEST(StoreMerge, RefusesForeignMissingAndDuplicateShards) {
  ScratchDir dir;
  const auto shards = write_shards(dir, 20, 2);  // shard1.h5, shard0.h5
  auto foreign = shard_identity(1, 2);
  foreign.vae_sha256 = "0000";
  write_store(dir.file("foreign.h5"), foreign, shard_positions(20, 1, 2), 5);
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        merge_shards({shards[1], dir.file("foreign.h5")}, dir.file("m.h5"));
                      },
                      dir.file("foreign.h5")),
                  "different vae_sha256");
  EXPECT_CONTAINS(problem_of([&] { merge_shards({shards[1]}, dir.file("m.h5")); }, shards[1]),
                  "is shard 0/2, but 1 shards were given");
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        merge_shards({shards[1], shards[1]}, dir.file("m.h5"));
                      },
                      shards[1]),
                  "given twice");
  EXPECT_FALSE(latentlab::testing::file_exists(dir.file("m.h5")));
}

void overwrite_attribute(const std::string& path, const char* name, const std::vector<double>& values) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
  H5Awrite(attribute, H5T_NATIVE_DOUBLE, values.data());
  H5Aclose(attribute);
  H5Fclose(file);
}

TEST(StoreVerify, FindsNonFiniteValuesAndWrongStatistics) {
  ScratchDir dir;
  const auto id = test_identity();
  write_store(dir.file("good.h5"), id, iota_positions(30), 7);
  EXPECT_TRUE(verify_store(dir.file("good.h5")).ok());

  auto writer = StoreWriter::open_or_resume(dir.file("nan.h5"), id, 3);
  auto batch = make_batch(id, {0, 1, 2});
  batch.mean[1][2][0][0] = std::numeric_limits<float>::quiet_NaN();
  batch.std[2][0][1][1] = std::numeric_limits<float>::infinity();
  writer.append(batch);
  writer.finish();
  const auto nan = verify_store(dir.file("nan.h5"));
  EXPECT_FALSE(nan.ok());
  EXPECT_EQ(nan.nonfinite, 2);
  EXPECT_CONTAINS(nan.problems.front(), "2 latent values are NaN or Inf");

  latentlab::testing::write_bytes(dir.file("edited.h5"), latentlab::testing::read_text(dir.file("good.h5")));
  auto means = read_store_info(dir.file("good.h5")).channel_mean;
  means[2] += 1e-6;
  overwrite_attribute(dir.file("edited.h5"), "channel_mean", means);
  const auto edited = verify_store(dir.file("edited.h5"));
  ASSERT_EQ(edited.problems.size(), 1u);
  EXPECT_CONTAINS(edited.problems[0], "channel_mean[2]");
}

}  // namespace
}  // namespace latentlab::store
