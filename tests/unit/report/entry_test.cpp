// Loading results files and logs into report entries: labels, metric keys, targets, grids, errors.
#include <gtest/gtest.h>

#include "io/results_json.h"
#include "report/entry.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "unit/report/results_fixtures.h"

namespace latentlab::report {
namespace {

using testing::problem_of;

TEST(Entry, ProbeResultWithLabelAndTargets) {
  testing::ScratchDir dir;
  io::write_results(dir.file("p.json"), testing::probe_results("store-a", {{"Smiling", 0.5}, {"Bald", 0.25}}));
  const auto bare = load_entry(dir.file("p.json"));
  EXPECT_EQ(bare.kind, "probe");
  EXPECT_EQ(bare.label, "store-a");  // default: the probed file's stem
  EXPECT_EQ(bare.fingerprint.size(), 64u);
  EXPECT_DOUBLE_EQ(bare.metrics.at("attr_macro_f1"), 0.375);
  ASSERT_EQ(bare.targets.size(), 2u);
  EXPECT_EQ(bare.targets[1].name, "Bald");
  EXPECT_DOUBLE_EQ(bare.targets[1].metrics.at("f1"), 0.25);
  const auto named = load_entry("send-vae=" + dir.file("p.json"));
  EXPECT_EQ(named.label, "send-vae");
  EXPECT_EQ(named.input_hashes, bare.input_hashes);
}

// The ranking fingerprint is the file's protocol fingerprint less the kind's subject keys: recon results of
// two VAEs rank together, another image count does not, and a probe (no subject keys) keeps the file's.
TEST(Entry, SubjectKeysStayOutOfTheRankingFingerprint) {
  testing::ScratchDir dir;
  const auto plain = testing::recon_results("plain", 1, 2, 3, 4), send = testing::recon_results("send", 1, 2, 3, 4),
             eight = testing::recon_results("send", 1, 2, 3, 4, 8);
  EXPECT_NE(plain["protocol_fingerprint"], send["protocol_fingerprint"]);  // the VAE hash is in the protocol
  io::write_results(dir.file("a.json"), plain);
  io::write_results(dir.file("b.json"), send);
  io::write_results(dir.file("c.json"), eight);
  auto without_vae = plain["protocol"];
  without_vae.erase("vae_sha256");
  without_vae.erase("vae_config");
  EXPECT_EQ(load_entry(dir.file("a.json")).fingerprint, io::protocol_fingerprint(without_vae));
  EXPECT_EQ(load_entry(dir.file("a.json")).fingerprint, load_entry(dir.file("b.json")).fingerprint);
  EXPECT_NE(load_entry(dir.file("b.json")).fingerprint, load_entry(dir.file("c.json")).fingerprint);
  const auto probe = testing::probe_results("store", {{"Smiling", 0.5}});
  io::write_results(dir.file("p.json"), probe);
  EXPECT_EQ(load_entry(dir.file("p.json")).fingerprint, probe["protocol_fingerprint"]);
}

TEST(Entry, GridsResolveBesideTheResultsFile) {
  testing::ScratchDir dir;
  auto doc = testing::recon_results("vae", 1, 2, 3, 4);
  doc["results"]["recon_grid"] = "grid.png";
  doc["results"]["samples"] = {{"image_grid", "missing.png"}};
  io::write_results(dir.file("r.json"), doc);
  testing::write_bytes(dir.file("grid.png"), "png bytes");
  const auto e = load_entry(dir.file("r.json"));
  EXPECT_EQ(e.images, std::vector<std::string>{dir.file("grid.png")});  // the missing one is left out, with a warning
}

TEST(Entry, UnknownCommandsFallBackToGeneric) {
  testing::ScratchDir dir;
  io::write_results(dir.file("a.json"),
                    io::make_results({"analyze"}, {{"k", 1}}, {testing::fake_input("store", "s.h5")},
                                     {{"cka", 0.5}, {"spectrum", {{"slope", -1.5}, {"count", 3}}}}));
  const auto e = load_entry(dir.file("a.json"));
  EXPECT_EQ(e.kind, "generic");
  EXPECT_EQ(e.label, "s");
  EXPECT_EQ(e.metrics, (std::map<std::string, double>{{"cka", 0.5}, {"spectrum.slope", -1.5}}));
}

TEST(Entry, TrainingLogCurves) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("run.jsonl"),
                       "{\"step\": 0, \"loss\": 1.0, \"lr\": 0.1, \"phase\": \"warmup\"}\n\n"
                       "{\"step\": 10, \"loss\": 0.5, \"lr\": 0.1}\n{\"step\": 20, \"loss\": 0.25}\n");
  const auto e = load_entry("plain=" + dir.file("run.jsonl"));
  EXPECT_EQ(e.kind, "train-log");
  EXPECT_EQ(e.label, "plain");
  EXPECT_TRUE(e.fingerprint.empty());
  EXPECT_EQ(e.curve_x, "step");
  ASSERT_EQ(e.curves.size(), 2u);  // loss and lr; the string field is no curve
  EXPECT_EQ(e.curves[0].name, "loss");
  EXPECT_EQ(e.curves[0].x, (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(e.curves[0].y, (std::vector<double>{1.0, 0.5, 0.25}));
  EXPECT_EQ(e.curves[1].x, (std::vector<double>{0, 10}));
}

TEST(Entry, ErrorsNameTheFile) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("bad.jsonl"), "{\"step\": 1}\nnot json\n");
  EXPECT_EQ(problem_of([&] { load_entry(dir.file("bad.jsonl")); }, dir.file("bad.jsonl") + ":2"), "not a JSON object");
  testing::write_bytes(dir.file("nostep.jsonl"), "{\"loss\": 1}\n");
  EXPECT_NE(problem_of([&] { load_entry(dir.file("nostep.jsonl")); }, dir.file("nostep.jsonl")).find("no numeric step"),
            std::string::npos);
  testing::write_bytes(dir.file("x.json"), "{\"schema\": \"other\"}");
  EXPECT_NE(
      problem_of([&] { load_entry(dir.file("x.json")); }, dir.file("x.json")).find("not a latentlab results file"),
      std::string::npos);
  EXPECT_NE(problem_of([&] { load_entry(dir.file("missing.json")); }, dir.file("missing.json")).find("cannot"),
            std::string::npos);
}

}  // namespace
}  // namespace latentlab::report
