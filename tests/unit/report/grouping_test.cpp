// Grouping by kind and protocol fingerprint, the protocol diff, and ranking inside one group.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/grouping.h"
#include "report/ranking.h"

namespace latentlab::report {
namespace {

Entry entry(const std::string& label, const std::string& kind, const std::string& fingerprint,
            std::map<std::string, double> metrics, nlohmann::json protocol = nlohmann::json::object()) {
  Entry e;
  e.label = label;
  e.kind = kind;
  e.fingerprint = fingerprint;
  e.metrics = std::move(metrics);
  e.protocol = std::move(protocol);
  e.path = label + ".json";
  return e;
}

TEST(Grouping, SameKindAndFingerprintOnly) {
  std::vector<Entry> entries = {entry("a", "recon", "f1", {{"rfid", 3}}), entry("b", "fid", "f1", {{"fid", 9}}),
                                entry("c", "recon", "f2", {{"rfid", 1}}), entry("d", "recon", "f1", {{"rfid", 2}}),
                                entry("log", "train-log", "", {})};
  const auto groups = group_by_protocol(entries);
  ASSERT_EQ(groups.size(), 3u);  // recon/f1, fid/f1, recon/f2; the log belongs to none
  EXPECT_EQ(groups[0].kind, "recon");
  EXPECT_EQ(groups[0].fingerprint, "f1");
  ASSERT_EQ(groups[0].entries.size(), 2u);
  EXPECT_EQ(groups[0].entries[0]->label, "a");
  EXPECT_EQ(groups[0].entries[1]->label, "d");
  EXPECT_EQ(groups[1].kind, "fid");
  EXPECT_EQ(groups[2].entries[0]->label, "c");
}

TEST(Grouping, DifferingKeysLeaveToolVersionOut) {
  const nlohmann::json a = {{"count", 4}, {"extractor", {{"resize", "tf1"}, {"official", false}}}, {"git_commit", "x"}};
  const nlohmann::json b = {
      {"count", 8}, {"extractor", {{"resize", "tf1"}, {"official", false}}}, {"git_commit", "y"}, {"seed", 1}};
  EXPECT_EQ(differing_protocol_keys({&a, &b}, 10), (std::vector<std::string>{"count", "seed"}));
  EXPECT_EQ(differing_protocol_keys({&a, &a}, 10), std::vector<std::string>{});
  EXPECT_EQ(differing_protocol_keys({&a, &b}, 1).size(), 1u);
  EXPECT_EQ(differing_protocol_keys({&a, &b}, 10, {"seed", "extractor"}), std::vector<std::string>{"count"});
}

TEST(Ranking, LowerOrHigherIsBetterAndMissingLast) {
  std::vector<Entry> recon = {entry("a", "recon", "f", {{"rfid", 3}}), entry("b", "recon", "f", {{"psnr", 30}}),
                              entry("c", "recon", "f", {{"rfid", 1}})};
  const auto groups = group_by_protocol(recon);
  const auto table = leaderboard_table(groups[0], "t");
  EXPECT_EQ(table.header, (std::vector<std::string>{"#", "model", "rFID", "PSNR", "file"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0], (std::vector<std::string>{"1", "c", "1.0000", "-", "c.json"}));
  EXPECT_EQ(table.rows[1][1], "a");
  EXPECT_EQ(table.rows[2][1], "b");  // no rFID: last
  EXPECT_NE(table.notes[0].find("Ranked by rFID (lower is better)"), std::string::npos);

  std::vector<Entry> probes = {entry("x", "probe", "p", {{"attr_macro_f1", 0.5}}),
                               entry("y", "probe", "p", {{"attr_macro_f1", 0.7}})};
  const auto ranked = leaderboard_table(group_by_protocol(probes)[0], "p");
  EXPECT_EQ(ranked.rows[0][1], "y");  // F1: higher is better
}

TEST(Ranking, GenericKindShowsEveryMetric) {
  std::vector<Entry> entries = {entry("a", "disentangle", "f", {{"mig", 0.2}, {"sap", 0.1}}),
                                entry("b", "disentangle", "f", {{"dci.completeness", 0.4}})};
  const auto table = leaderboard_table(group_by_protocol(entries)[0], "d");
  EXPECT_EQ(table.header, (std::vector<std::string>{"#", "model", "dci.completeness", "mig", "sap", "file"}));
}

}  // namespace
}  // namespace latentlab::report
