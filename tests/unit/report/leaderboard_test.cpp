// Leaderboard files: creation, ranking, and the refusals (duplicate, other protocol, other kind, logs,
// broken board files), each one UserError naming the result or the board.
#include <gtest/gtest.h>

#include "io/results_json.h"
#include "report/leaderboard.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "unit/report/results_fixtures.h"

namespace latentlab::report {
namespace {

using testing::problem_of;

class Leaderboard : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const nlohmann::json& doc) {
    io::write_results(dir.file(name), doc);
    return dir.file(name);
  }
  std::string board() const { return dir.file("board.json"); }
  testing::ScratchDir dir;
};

TEST_F(Leaderboard, AddsRanksAndShows) {
  const auto a = board_add(board(), "plain=" + write("a.json", testing::recon_results("plain", 3.0, 20, 0.5, 0.2)));
  EXPECT_TRUE(a.created);
  EXPECT_EQ(a.rank, 1u);
  const auto b = board_add(board(), write("b.json", testing::recon_results("send-vae", 1.5, 19, 0.4, 0.3)));
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.label, "send-vae");  // recon's default label: the VAE file's stem
  EXPECT_EQ(b.rank, 1u);           // lower rFID ranks first
  EXPECT_EQ(b.count, 2u);

  const auto loaded = read_board(board());
  EXPECT_EQ(loaded.kind, "recon");
  ASSERT_EQ(loaded.entries.size(), 2u);
  EXPECT_EQ(loaded.entries[0].label, "plain");  // the file keeps the order added
  EXPECT_DOUBLE_EQ(loaded.entries[1].metrics.at("rfid"), 1.5);
  const auto table = board_table(loaded);
  EXPECT_EQ(table.rows[0][1], "send-vae");
  EXPECT_EQ(table.rows[0][2], "1.5000");
  const auto ranking = board_ranking_json(loaded);
  EXPECT_EQ(ranking["ranked"][1]["label"], "plain");
  EXPECT_DOUBLE_EQ(ranking["ranked"][1]["metrics"]["rfid"].get<double>(), 3.0);
}

TEST_F(Leaderboard, RefusesDuplicatesMismatchesAndLogs) {
  board_add(board(), write("a.json", testing::recon_results("plain", 3.0, 20, 0.5, 0.2)));
  const auto before = testing::read_text(board());
  // The same VAE measured again under the same protocol: same inputs, same fingerprint.
  const auto again = write("again.json", testing::recon_results("plain", 2.9, 20, 0.5, 0.2));
  EXPECT_NE(problem_of([&] { board_add(board(), "rerun=" + again); }, again).find("already on the board"),
            std::string::npos);
  // Another image count changes the protocol.
  const auto other = write("other.json", testing::recon_results("va-vae", 2.0, 20, 0.5, 0.2, 8));
  const auto mismatch = problem_of([&] { board_add(board(), other); }, other);
  EXPECT_NE(mismatch.find("protocol differs"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("differs in: count"), std::string::npos) << mismatch;
  // Another kind.
  const auto fid = write("fid.json", testing::fid_results("samples", 12.0));
  EXPECT_NE(problem_of([&] { board_add(board(), fid); }, fid).find("is a 'fid' result"), std::string::npos);
  // A training log.
  testing::write_bytes(dir.file("train.jsonl"), "{\"step\": 1, \"loss\": 0.5}\n");
  EXPECT_NE(
      problem_of([&] { board_add(board(), dir.file("train.jsonl")); }, dir.file("train.jsonl")).find("training log"),
      std::string::npos);
  EXPECT_EQ(testing::read_text(board()), before);  // every refusal left the board as it was
}

TEST_F(Leaderboard, BrokenBoardFilesNameTheBoard) {
  testing::write_bytes(board(), "{not json");
  EXPECT_EQ(problem_of([&] { read_board(board()); }, board()), "not valid JSON");
  testing::write_bytes(board(), "{\"schema\": \"something-else\"}");
  EXPECT_NE(problem_of([&] { read_board(board()); }, board()).find("not a latentlab leaderboard"), std::string::npos);
}

}  // namespace
}  // namespace latentlab::report
