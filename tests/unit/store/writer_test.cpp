// StoreWriter: round trips in both dtypes, statistics against a float64 recomputation, reuse of complete
// stores, refusal of other identities, and resumption after simulated crashes (an exception thrown at each
// crash point, then garbage beyond the committed rows) giving a file equal byte for byte to an
// uninterrupted run with the same creation time.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

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

WriterOptions pinned() {
  WriterOptions o;
  o.creation_time = "2026-01-02T03:04:05Z";
  return o;
}

void expect_round_trip(LatentDType dtype) {
  ScratchDir dir;
  const auto id = test_identity(dtype, /*flip=*/true, /*key_width=*/40);
  const auto positions = iota_positions(37);
  EXPECT_EQ(write_store(dir.file("s.h5"), id, positions, 8), StoreWriter::Status::Created);
  StoreReader reader(dir.file("s.h5"));
  EXPECT_EQ(reader.rows(), 37);
  EXPECT_TRUE(reader.info().complete);
  // Rows in a scrambled order with repeats; flips on every third.
  const std::vector<int64_t> rows = {5, 0, 36, 5, 17, 18, 19, 2};
  std::vector<uint8_t> flipped;
  for (size_t i = 0; i < rows.size(); ++i) flipped.push_back(i % 3 == 0);
  const auto got = reader.read(rows, flipped);
  const auto want = make_batch(id, rows);
  const auto as_stored = [&](const at::Tensor& t) {
    return dtype == LatentDType::Float16 ? t.to(at::kHalf).to(at::kFloat) : t;
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t k = static_cast<int64_t>(i);
    const auto& mean = flipped[i] ? want.mean_flip : want.mean;
    const auto& std = flipped[i] ? want.std_flip : want.std;
    EXPECT_TRUE(at::equal(got.mean[k], as_stored(mean[k]))) << "row " << rows[i];
    EXPECT_TRUE(at::equal(got.std[k], as_stored(std[k]))) << "row " << rows[i];
    EXPECT_EQ(got.keys[i], key_of(rows[i]));
  }
  EXPECT_TRUE(at::equal(got.labels, want.labels));
  EXPECT_TRUE(at::equal(got.attributes, want.attributes));
  EXPECT_EQ(got.mean.scalar_type(), at::kFloat);
}

TEST(StoreWriter, RoundTripFloat32IsExact) {
  expect_round_trip(LatentDType::Float32);
}

TEST(StoreWriter, RoundTripFloat16EqualsTorchRounding) {
  expect_round_trip(LatentDType::Float16);
}

TEST(StoreWriter, IntegerKeysAndNoAttributes) {
  ScratchDir dir;
  const auto id = test_identity(LatentDType::Float32, false, 0, {});
  write_store(dir.file("s.h5"), id, {7, 3, 99}, 2);
  StoreReader reader(dir.file("s.h5"));
  const auto got = reader.read({0, 1, 2});
  EXPECT_EQ(got.keys, (std::vector<std::string>{"7", "3", "99"}));
  EXPECT_FALSE(got.attributes.defined());
}

// Oracle: a direct float64 two-pass computation over every stored value.
TEST(StoreWriter, StatisticsEqualFloat64Recomputation) {
  for (const auto dtype : {LatentDType::Float32, LatentDType::Float16}) {
    ScratchDir dir;
    const auto id = test_identity(dtype);
    write_store(dir.file("s.h5"), id, iota_positions(53), 7);
    StoreReader reader(dir.file("s.h5"));
    const auto all = reader.read(iota_positions(53));
    const auto mean = all.mean.to(at::kDouble).transpose(0, 1).reshape({4, -1});
    const auto var = all.std.to(at::kDouble).pow(2).transpose(0, 1).reshape({4, -1});
    const auto& info = reader.info();
    EXPECT_EQ(info.statistics.count(), 53 * 15);
    for (int64_t c = 0; c < 4; ++c) {
      const double m = mean[c].mean().item<double>();
      const double v = mean[c].var(/*unbiased=*/true).item<double>() + var[c].mean().item<double>();
      // Tolerance: float64 rounding of two summation orders over 795 values (~1e-16 each).
      EXPECT_NEAR(info.channel_mean[c], m, 1e-12) << c;
      EXPECT_NEAR(info.channel_std[c], std::sqrt(v), 1e-12) << c;
    }
    // The same values written in other batch sizes give the same statistics (up to float64 rounding).
    ScratchDir other;
    write_store(other.file("s.h5"), id, iota_positions(53), 53);
    const auto again = read_store_info(other.file("s.h5"));
    for (int64_t c = 0; c < 4; ++c) {
      EXPECT_NEAR(again.channel_mean[c], info.channel_mean[c], 1e-13);
      EXPECT_NEAR(again.channel_std[c], info.channel_std[c], 1e-13);
    }
  }
}

TEST(StoreWriter, CompleteMatchingStoreIsReused) {
  ScratchDir dir;
  const auto id = test_identity();
  write_store(dir.file("s.h5"), id, iota_positions(10), 4);
  auto writer = StoreWriter::open_or_resume(dir.file("s.h5"), id, 10);
  EXPECT_EQ(writer.status(), StoreWriter::Status::Complete);
  EXPECT_EQ(writer.next_row(), 10);
  EXPECT_CONTAINS(problem_of([&] { writer.append(make_batch(id, {0})); }, dir.file("s.h5")), "complete");
  writer.finish();  // a no-op
  EXPECT_EQ(dir.list(), std::vector<std::string>{"s.h5"});
}

TEST(StoreWriter, OtherIdentityIsRefusedUnlessForced) {
  ScratchDir dir;
  const std::string path = dir.file("s.h5");
  const auto id = test_identity();
  write_store(path, id, iota_positions(10), 4);
  auto other = id;
  other.vae_sha256 = "ffff" + id.vae_sha256.substr(4);
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, other, 10); }, path),
                  "was made with a different vae_sha256 (store: 3f1e");
  other = id;
  other.preprocessing = "adm-center-crop 16";
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, other, 10); }, path), "preprocessing");
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, id, 11); }, path),
                  "rows (store: 10, requested: 11)");
  other = id;
  other.dtype = LatentDType::Float16;
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, other, 10); }, path), "--force");
  // Forced: the old store stays until the new one is finished.
  WriterOptions force;
  force.force = true;
  auto writer = StoreWriter::open_or_resume(path, other, 10, force);
  EXPECT_EQ(writer.status(), StoreWriter::Status::Created);
  EXPECT_EQ(read_store_info(path).header.identity.dtype, LatentDType::Float32);
  writer.append(make_batch(other, iota_positions(10)));
  writer.finish();
  EXPECT_EQ(read_store_info(path).header.identity.dtype, LatentDType::Float16);
}

TEST(StoreWriter, PartialStoreOfOtherIdentityIsRefused) {
  ScratchDir dir;
  const std::string path = dir.file("s.h5");
  const auto id = test_identity();
  {
    auto writer = StoreWriter::open_or_resume(path, id, 10);
    writer.append(make_batch(id, {0, 1, 2}));
  }
  auto other = id;
  other.dataset_fingerprint = "other";
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, other, 10); }, path + ".partial"),
                  "partial store made with a different dataset_fingerprint");
  // A reader of the unfinished store says so.
  EXPECT_CONTAINS(problem_of([&] { StoreReader r(path); }, path), "incomplete store");
}

struct Crash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws at the `count`-th time `point` is reached: the writer object is then dropped without finishing,
// as if the process had died there (kill_test.cpp does it with real SIGKILLs).
WriterOptions crash_at(const std::string& point, int count) {
  WriterOptions o = pinned();
  auto seen = std::make_shared<int>(0);
  o.crash_point = [point, count, seen](const char* p) {
    if (point == p && ++*seen == count) throw Crash(point);
  };
  return o;
}

// Overwrites everything a crash may have left undefined in PATH.partial: the rows beyond the committed
// count of every dataset and all the HDF5 metadata before the first dataset (superblock, root attributes).
void scribble_uncommitted(const std::string& path) {
  const auto record = nlohmann::json::parse(read_text(record_path(path)));
  const int64_t committed = record.at("rows_committed");
  FILE* f = std::fopen(partial_path(path).c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  const auto poke = [f](uint64_t begin, uint64_t end, uint64_t stride) {
    for (uint64_t offset = begin; offset < end; offset += stride) {
      std::fseek(f, static_cast<long>(offset), SEEK_SET);
      std::fputc(0x5a, f);
    }
  };
  uint64_t first = UINT64_MAX;
  for (const auto& d : record.at("layout").at("datasets")) {
    const uint64_t offset = d.at(1), row_bytes = d.at(2), bytes = d.at(3);
    first = std::min(first, offset);
    poke(offset + row_bytes * static_cast<uint64_t>(committed), offset + bytes, 3);
  }
  poke(0, first, 5);
  std::fclose(f);
}

TEST(StoreWriter, ResumeAfterCrashAtEveryPointEqualsUninterruptedRun) {
  ScratchDir dir;
  const auto id = test_identity(LatentDType::Float16, true, 32);
  const auto positions = iota_positions(30);
  write_store(dir.file("ref.h5"), id, positions, 4, pinned());
  const std::string reference = read_text(dir.file("ref.h5"));
  for (const std::string point :
       {"rows-written", "rows-synced", "committed", "finish-start", "finish-metadata-half", "finish-renamed"}) {
    SCOPED_TRACE(point);
    const std::string path = dir.file("s-" + point + ".h5");
    EXPECT_THROW(write_store(path, id, positions, 4, crash_at(point, point.rfind("finish", 0) == 0 ? 1 : 3)), Crash);
    if (point != "finish-renamed") {
      const auto record = nlohmann::json::parse(read_text(record_path(path)));
      EXPECT_EQ(record.at("rows_committed"), point == "committed" ? 12 : point.rfind("finish", 0) == 0 ? 30 : 8);
      scribble_uncommitted(path);
    }
    const auto expected = point == "finish-renamed" ? StoreWriter::Status::Complete : StoreWriter::Status::Resumed;
    EXPECT_EQ(write_store(path, id, positions, 4, pinned()), expected);
    EXPECT_TRUE(read_text(path) == reference) << "differs from the uninterrupted store";
    EXPECT_FALSE(latentlab::testing::file_exists(partial_path(path)));
    EXPECT_FALSE(latentlab::testing::file_exists(record_path(path)));
  }
  EXPECT_EQ(dir.list().size(), 7u);  // no leftovers
}

// Teacher tokens (REPA targets cached with the latents): read back as written (float16: torch's rounding), of
// the flipped image where asked; the identity names the teacher and its grid.
TEST(StoreWriter, TeacherTokensRoundTrip) {
  for (const auto dtype : {LatentDType::Float16, LatentDType::Float32}) {
    ScratchDir dir;
    const auto id = with_teacher_tokens(test_identity(LatentDType::Float16, /*flip=*/true, 32), dtype);
    write_store(dir.file("s.h5"), id, iota_positions(23), 4);
    StoreReader reader(dir.file("s.h5"));
    const StoreIdentity& got_id = reader.info().header.identity;
    EXPECT_EQ(identity_difference(got_id, id), "");
    EXPECT_EQ(got_id.teacher, "test teacher (r16 d5) sha256 5eed");
    EXPECT_EQ(got_id.teacher_grid, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(got_id.teacher_width, 5);
    EXPECT_EQ(got_id.teacher_dtype, dtype);
    const std::vector<int64_t> rows = {22, 0, 7, 7, 8, 9, 3};
    const std::vector<uint8_t> flipped = {1, 0, 0, 1, 0, 1, 1};
    const at::Tensor tokens = reader.read_teacher_tokens(rows, flipped);
    const auto want = make_batch(id, rows);
    EXPECT_EQ(tokens.sizes(), (std::vector<int64_t>{7, 6, 5}));
    EXPECT_EQ(tokens.scalar_type(), at::kFloat);
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto k = static_cast<int64_t>(i);
      const at::Tensor w = (flipped[i] ? want.teacher_tokens_flip : want.teacher_tokens)[k];
      EXPECT_TRUE(at::equal(tokens[k], dtype == LatentDType::Float16 ? w.to(at::kHalf).to(at::kFloat) : w))
          << "row " << rows[i];
    }
    // The latents read as without tokens.
    EXPECT_TRUE(at::equal(reader.read(rows).mean, make_batch(id, rows).mean.to(at::kHalf).to(at::kFloat)));
  }
  ScratchDir dir;
  write_store(dir.file("plain.h5"), test_identity(), iota_positions(5), 4);
  StoreReader plain(dir.file("plain.h5"));
  EXPECT_FALSE(plain.info().header.identity.has_teacher_tokens());
  EXPECT_CONTAINS(problem_of([&] { plain.read_teacher_tokens({0}); }, dir.file("plain.h5")), "no teacher tokens");
}

TEST(StoreWriter, TeacherTokensOfAnotherTeacherOrGridAreRefused) {
  ScratchDir dir;
  const std::string path = dir.file("s.h5");
  const auto id = with_teacher_tokens(test_identity());
  write_store(path, id, iota_positions(6), 4);
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, test_identity(), 6); }, path),
                  "different teacher (store: test teacher (r16 d5) sha256 5eed, requested: none)");
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        StoreWriter::open_or_resume(
                            path, with_teacher_tokens(test_identity(), LatentDType::Float16, "other teacher sha256 0"),
                            6);
                      },
                      path),
                  "different teacher (store: test teacher");
  auto grid = id;
  grid.teacher_grid = {3, 2};
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, grid, 6); }, path), "different teacher_grid");
  auto width = id;
  width.teacher_width = 0;
  EXPECT_CONTAINS(problem_of([&] { StoreWriter::open_or_resume(path, width, 6); }, path), "teacher width");
  // A batch without the tokens is refused before anything is written.
  ScratchDir other;
  auto writer = StoreWriter::open_or_resume(other.file("t.h5"), id, 6);
  auto batch = make_batch(id, {0, 1});
  batch.teacher_tokens_flip = at::Tensor();
  batch.teacher_tokens = batch.teacher_tokens.slice(1, 0, 5);
  EXPECT_CONTAINS(problem_of([&] { writer.append(batch); }, other.file("t.h5") + ".partial"),
                  "teacher_tokens must have shape [2, 6, 5]");
  EXPECT_EQ(writer.next_row(), 0);
}

// The writer stays crash-safe with tokens: a crash at any point, garbage in every uncommitted row of every
// dataset (tokens included), then resume gives the uninterrupted run's bytes.
TEST(StoreWriter, TeacherTokensResumeAfterCrashEqualsUninterruptedRun) {
  ScratchDir dir;
  const auto id = with_teacher_tokens(test_identity(LatentDType::Float16, true, 32));
  const auto positions = iota_positions(30);
  write_store(dir.file("ref.h5"), id, positions, 4, pinned());
  const std::string reference = read_text(dir.file("ref.h5"));
  for (const std::string point : {"rows-written", "committed", "finish-metadata-half"}) {
    SCOPED_TRACE(point);
    const std::string path = dir.file("s-" + point + ".h5");
    EXPECT_THROW(write_store(path, id, positions, 4, crash_at(point, point.rfind("finish", 0) == 0 ? 1 : 3)), Crash);
    scribble_uncommitted(path);
    EXPECT_EQ(write_store(path, id, positions, 4, pinned()), StoreWriter::Status::Resumed);
    EXPECT_TRUE(read_text(path) == reference) << "differs from the uninterrupted store";
  }
}

}  // namespace
}  // namespace latentlab::store
