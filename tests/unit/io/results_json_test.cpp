#include "io/results_json.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/version.h"
#include "io/sha256.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

TEST(ResultsJson, DocumentCarriesProtocolFingerprintInputsAndTool) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("w.bin"), "abc");
  ResultsContext context{"metrics fid", "cpu", 2, {{"batch_size", 50}}};
  auto doc = make_results(context, {{"resize", "tf1-bilinear"}, {"num_samples", 50000}},
                          {describe_input("weights", dir.file("w.bin"))}, {{"fid", 1.25}});
  EXPECT_EQ(doc["schema"], kResultsSchema);
  EXPECT_EQ(doc["inputs"][0]["sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(doc["protocol"]["git_commit"], git_commit());
  EXPECT_EQ(doc["options"]["batch_size"], 50);
  EXPECT_EQ(doc["results"]["fid"], 1.25);
  // Independent recomputation of the fingerprint: the sorted compact dump without version keys.
  EXPECT_EQ(doc["protocol_fingerprint"], sha256_hex(R"({"num_samples":50000,"resize":"tf1-bilinear"})"));
}

TEST(ResultsJson, FingerprintIgnoresToolVersionButNotProtocolChanges) {
  const nlohmann::json a = {{"k", 1}, {"tool_version", "0.1"}, {"git_commit", "x"}};
  const nlohmann::json b = {{"k", 1}, {"tool_version", "0.2"}, {"git_commit", "y"}};
  const nlohmann::json c = {{"k", 2}, {"tool_version", "0.1"}, {"git_commit", "x"}};
  EXPECT_EQ(protocol_fingerprint(a), protocol_fingerprint(b));
  EXPECT_NE(protocol_fingerprint(a), protocol_fingerprint(c));
}

TEST(ResultsJson, WriteReadAndCarryForwardTheInputProtocol) {
  testing::ScratchDir dir;
  auto doc = make_results({"stats make"}, {{"extractor", "inception-2015-12-05"}}, {}, {{"n", 10}});
  write_results(dir.file("stats.json"), doc);
  EXPECT_EQ(read_results(dir.file("stats.json"))["results"]["n"], 10);
  const auto input = describe_input("reference", dir.file("stats.json"));
  EXPECT_EQ(input.protocol["extractor"], "inception-2015-12-05");
  testing::write_bytes(dir.file("bad.json"), "{\"schema\": 3}");
  EXPECT_THROW(read_results(dir.file("bad.json")), UserError);
  testing::write_bytes(dir.file("worse.json"), "{oops");
  EXPECT_THROW(read_results(dir.file("worse.json")), UserError);
}

}  // namespace
}  // namespace latentlab::io
