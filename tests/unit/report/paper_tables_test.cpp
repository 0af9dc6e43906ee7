// The paper-style tables: our rows from results, the paper's numbers beside them (PAPER.md §12), and the
// comparability mark that depends on the protocol.
#include <gtest/gtest.h>

#include "io/results_json.h"
#include "report/paper_numbers.h"
#include "report/paper_tables.h"
#include "support/test_support.h"
#include "unit/report/results_fixtures.h"

namespace latentlab::report {
namespace {

const Table& find_table(const std::vector<Table>& tables, const std::string& prefix) {
  for (const auto& t : tables)
    if (t.title.rfind(prefix, 0) == 0) return t;
  ADD_FAILURE() << "no table " << prefix;
  return tables.front();
}

std::vector<Entry> load(testing::ScratchDir& dir, const std::vector<std::pair<std::string, nlohmann::json>>& docs) {
  std::vector<std::string> specs;
  for (const auto& [name, doc] : docs) {
    io::write_results(dir.file(name + ".json"), doc);
    specs.push_back(dir.file(name + ".json"));
  }
  return load_entries(specs);
}

TEST(PaperModels, LabelsNameThePapersModels) {
  EXPECT_EQ(paper::paper_model("send-vae-seed1"), "Send-VAE");
  EXPECT_EQ(paper::paper_model("VA_VAE"), "VA-VAE");
  EXPECT_EQ(paper::paper_model("plain"), "IN-VAE");
  EXPECT_EQ(paper::paper_model("e2e-vae"), "E2E-VAE");
  EXPECT_EQ(paper::paper_model("mystery"), "");
}

TEST(PaperTables, Table7OursBesideThePaperMarkedNotComparable) {
  testing::ScratchDir dir;
  const auto entries = load(dir, {{"r", testing::recon_results("send-vae", 2.5, 21.25, 0.5, 0.25)},
                                  {"f", testing::fid_results("send-vae", 40.0)}});
  const auto tables = paper_tables(entries);
  const auto& t = find_table(tables, "Table 7");
  ASSERT_GE(t.rows.size(), 5u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"send-vae", "ours", "2.50", "21.25", "0.250", "0.50", "40.00"}));
  // The paper's Send-VAE row right under ours, marked: 4 images and unofficial weights are not its protocol.
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"Send-VAE", "paper †", "0.31", "27.62", "0.101", "0.77", "7.57"}));
  EXPECT_EQ(t.rows.size(), 5u);  // ours + the four paper models, none repeated
  EXPECT_NE(t.notes[0].find("Not comparable"), std::string::npos);
  EXPECT_NE(t.notes[0].find("4 reconstructed images (paper: 50,000 ImageNet val)"), std::string::npos) << t.notes[0];
  EXPECT_NE(t.notes[0].find("10 generated images (paper: 50,000)"), std::string::npos) << t.notes[0];
}

TEST(PaperTables, PaperProtocolIsMarkedComparable) {
  testing::ScratchDir dir;
  const auto entries = load(dir, {{"r", testing::recon_results("va-vae", 0.3, 27.9, 0.79, 0.1, 50000, true)},
                                  {"f", testing::fid_results("va-vae", 11.0, 50000, true)}});
  EXPECT_TRUE(paper_protocol_differences(entries[0]).empty());
  EXPECT_TRUE(paper_protocol_differences(entries[1]).empty());
  const auto tables = paper_tables(entries);
  EXPECT_EQ(find_table(tables, "Table 7").rows[1][1], "paper (same protocol)");
  const auto& t1 = find_table(tables, "Table 1");
  EXPECT_EQ(t1.rows[0][0], "va-vae");
  EXPECT_EQ(t1.rows[0][5], "0.30");   // rFID
  EXPECT_EQ(t1.rows[0][6], "11.00");  // gFID without CFG (the protocol names no cfg_scale)
  EXPECT_EQ(t1.rows[0][11], "-");     // nothing with CFG
  EXPECT_EQ(t1.rows.size(), 1 + paper::table1().size());
  EXPECT_EQ(t1.rows.back()[8], "218.57");  // the paper's digits, past the column's one decimal
  EXPECT_EQ(t1.rows.back()[9], "0.79");
}

TEST(PaperTables, Table8FromAttributeProbes) {
  testing::ScratchDir dir;
  const auto entries = load(dir, {{"p1", testing::probe_results("plain", {{"Smiling", 0.5}, {"Bald", 0.7}})},
                                  {"p2", testing::probe_results("send-vae", {{"Smiling", 0.75}, {"Bald", 0.85}})},
                                  {"f2", testing::fid_results("send-vae", 9.5)}});
  const auto tables = paper_tables(entries);
  const auto& ours = find_table(tables, "Table 8 — attribute");
  EXPECT_EQ(ours.header, (std::vector<std::string>{"dataset", "plain", "send-vae"}));
  ASSERT_EQ(ours.rows.size(), 2u);
  EXPECT_EQ(ours.rows[0][1], "0.6000");  // macro-F1 = mean of 0.5 and 0.7
  EXPECT_EQ(ours.rows[0][2], "0.8000");
  EXPECT_EQ(ours.rows[0][0].rfind("probe protocol ", 0), 0u);  // two attributes: not one of the paper's datasets
  EXPECT_EQ(ours.rows[1], (std::vector<std::string>{"gFID", "-", "9.50"}));
  const auto& theirs = find_table(tables, "Table 8 — the paper");
  EXPECT_EQ(theirs.rows[0], (std::vector<std::string>{"CelebA", "0.6222", "0.6347", "0.6439", "0.6647"}));
  EXPECT_NE(theirs.title.find("†"), std::string::npos);
}

}  // namespace
}  // namespace latentlab::report
