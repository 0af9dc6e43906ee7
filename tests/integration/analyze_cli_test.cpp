// `latentlab analyze` end to end on tiny inputs: latents and teacher features in .npz files (every measure,
// the image spectrum of procedural shapes), equivariance of a seeded random tiny-f4d4 VAE, the gFID
// correlation of three hand-written results files, and one-line errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

using testing::ScratchDir;

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args);
}

#if LATENTLAB_WITH_ZIP
// 48 latents (4, 8, 8) with channel scales 1, 2, 0.5, 0.001 (the last channel inactive); the teacher is a
// linear map of the pooled latents plus noise (rows > 40 when `rows` says so).
void write_inputs(const ScratchDir& dir, int64_t teacher_rows = 48) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(21);
  const auto latents = at::randn({48, 4, 8, 8}, g) * at::tensor({1.0f, 2.0f, 0.5f, 0.001f}).view({1, 4, 1, 1});
  const auto teacher = at::mm(latents.mean({2, 3}), at::randn({4, 6}, g)) + 0.05 * at::randn({48, 6}, g);
  io::write_npz(dir.file("latents.npz"), {{"features", io::to_array(latents)}}, false);
  io::write_npz(dir.file("teacher.npz"), {{"features", io::to_array(teacher.slice(0, 0, teacher_rows).contiguous())}},
                false);
}

#ifdef LATENTLAB_WITH_OPENCV  // the procedural dataset is drawn with OpenCV
TEST(AnalyzeCli, LatentMeasuresWithTeacherAndImages) {
  ScratchDir dir;
  write_inputs(dir);
  const auto r = latentlab("analyze latents " + dir.file("latents.npz") + " --teacher " + dir.file("teacher.npz") +
                           " --images shapes:n=6,res=32 --pool-latents --neighbours 5 --pixels 300 --runs 2 "
                           "--gmm-components 1,2 --quiet --threads 1 --out " +
                           dir.file("r.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "active units: 192 of 256");
  EXPECT_CONTAINS(r.out, "alignment: CKA");
  EXPECT_CONTAINS(r.out, "spectrum: image high-frequency ratio");
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("r.json")));
  EXPECT_EQ(doc["command"], "analyze latents");
  const auto& p = doc["protocol"];
  EXPECT_EQ(p["alignment"]["neighbours"], 5);
  EXPECT_EQ(p["alignment"]["latent_features"], "channel means");
  EXPECT_EQ(p["input"]["row_shape"], nlohmann::json({4, 8, 8}));
  const auto& res = doc["results"];
  EXPECT_EQ(res["stats"]["active_units"]["active_per_channel"], nlohmann::json({64, 64, 64, 0}));
  // The teacher is nearly linear in the pooled latents: high linear CKA.
  EXPECT_GT(res["alignment"]["cka"].get<double>(), 0.8);
  EXPECT_LE(res["alignment"]["cka"].get<double>(), 1.0 + 1e-12);
  for (const char* key : {"cknna", "mutual_knn", "cka_debiased"}) EXPECT_TRUE(res["alignment"][key].is_number()) << key;
  // White noise latents: flat spectrum, about 3/4 of the disc's energy above half Nyquist.
  EXPECT_EQ(res["spectrum"]["latent"]["energy"].size(), 16u);
  EXPECT_NEAR(res["spectrum"]["latent"]["high_frequency_ratio"].get<double>(), 0.75, 0.1);
  EXPECT_GT(res["spectrum"]["image"]["maps"].get<int64_t>(), 0);
  EXPECT_EQ(res["uniformity"]["gini_runs"].size(), 2u);
  EXPECT_EQ(res["gmm"]["curve"].size(), 2u);
}
#endif

// Teacher patch tokens (48, 16, 6) on a 4 x 4 grid: the latent maps resized to the grid, padded and perturbed.
TEST(AnalyzeCli, PatchAlignmentWithTeacherTokens) {
  ScratchDir dir;
  write_inputs(dir);
  auto g = at::make_generator<at::CPUGeneratorImpl>(7);
  const auto latents = io::to_tensor(io::read_npz(dir.file("latents.npz")).front().second).to(at::kDouble);
  const auto grid = at::upsample_bilinear2d(latents, {4, 4}, false).flatten(2).transpose(1, 2);  // (48, 16, 4)
  // The resized latents in 6 dims (two near-empty ones): the same neighbours up to the noise.
  const auto tokens =
      at::cat({grid, at::zeros({48, 16, 2}, at::kDouble)}, 2) + 0.01 * at::randn({48, 16, 6}, g, at::kDouble);
  io::write_npz(dir.file("tokens.npz"), {{"features", io::to_array(tokens.contiguous())}}, false);
  io::write_npz(dir.file("odd.npz"), {{"features", io::to_array(tokens.narrow(1, 0, 15).contiguous())}}, false);
  const auto r =
      latentlab("analyze latents " + dir.file("latents.npz") + " --teacher " + dir.file("tokens.npz") +
                " --measures alignment,patch_alignment --neighbours 3 --quiet --threads 1 --out " + dir.file("r.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "patch alignment (4x4 grid): CKNNA");
  const auto res = nlohmann::json::parse(testing::read_text(dir.file("r.json")))["results"];
  EXPECT_EQ(res["patch_alignment"]["grid"], nlohmann::json({4, 4}));
  EXPECT_EQ(res["patch_alignment"]["images"], 48);
  // Tokens equal to the resized latents up to small noise: nearly every neighbour agrees (chance: 3/15).
  EXPECT_GT(res["patch_alignment"]["mutual_knn"].get<double>(), 0.8);
  EXPECT_TRUE(res["alignment"]["cka"].is_number());  // the global alignment flattens the tokens
  const auto bad = latentlab("analyze latents " + dir.file("latents.npz") + " --teacher " + dir.file("odd.npz") +
                             " --measures patch_alignment --quiet");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_CONTAINS(bad.err, "--teacher: 15 tokens per image are not a square patch grid");
}

TEST(AnalyzeCli, BadInputIsOneLine) {
  ScratchDir dir;
  write_inputs(dir, 40);
  auto r = latentlab("analyze latents " + dir.file("latents.npz") + " --teacher " + dir.file("teacher.npz") +
                     " --measures alignment --out " + dir.file("r.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "--teacher: has 40 rows but the latents have 48");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(testing::file_exists(dir.file("r.json")));
  r = latentlab("analyze latents " + dir.file("latents.npz") + " --measures stats,gini");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "--measures: unknown measure 'gini'");
  r = latentlab("analyze latents " + dir.file("latents.npz") + " --sample");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "latents.npz: --sample needs a latent store");
}
#endif

TEST(AnalyzeCli, CorrelateAgainstGfid) {
  ScratchDir dir;
  const double recall[] = {0.2, 0.5, 0.4, 0.9}, gfid[] = {17.43, 11.40, 12.0, 7.57};
  std::string args;
  for (int v = 0; v < 4; ++v) {
    const nlohmann::json doc{{"schema", "latentlab-results/1"},
                             {"command", "probe"},
                             {"results", {{"recall", recall[v]}, {"gfid", gfid[v]}, {"constant", 1.0}}}};
    testing::write_bytes(dir.file("v" + std::to_string(v) + ".json"), doc.dump());
    args += " " + dir.file("v" + std::to_string(v) + ".json");
  }
  const auto r = latentlab("analyze correlate" + args + " --out " + dir.file("c.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "probe:recall");
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("c.json")));
  EXPECT_EQ(doc["command"], "analyze correlate");
  EXPECT_EQ(doc["protocol"]["gfid_source"], "results key gfid");
  // Measures: recall and the gFID itself (which correlates 1 with itself); the constant is left out.
  const auto& rows = doc["results"]["measures"];
  ASSERT_EQ(rows.size(), 2u);
  const auto& recall_row = rows[0]["measure"] == "probe:recall" ? rows[0] : rows[1];
  // Spearman: recall ranks 1, 3, 2, 4 vs gFID ranks 4, 2, 3, 1 → exactly −1.
  EXPECT_NEAR(recall_row["spearman"].get<double>(), -1.0, 1e-12);
  EXPECT_LT(recall_row["pearson"].get<double>(), -0.9);
  const auto bad = latentlab("analyze correlate" + args + " --gfid 1,2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_CONTAINS(bad.err, "2 gFID values for 4 VAEs");
}

#ifdef LATENTLAB_WITH_OPENCV  // the procedural dataset is drawn with OpenCV
TEST(AnalyzeCli, EquivarianceAndStoreLatentsOfATinyVae) {
  ScratchDir dir;
  const auto vae = latentlab("vae init --preset tiny-f4d4 --seed 3 --out " + dir.file("vae.safetensors"));
  ASSERT_EQ(vae.exit_code, 0) << vae.err;
  const auto r = latentlab("analyze equivariance --vae " + dir.file("vae.safetensors") +
                           " --data shapes:n=4,res=32 --transforms scale:0.5,rot:90 --quiet --threads 1 --out " +
                           dir.file("e.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("e.json")));
  EXPECT_EQ(doc["results"]["images"], 4);
  for (const char* t : {"scale:0.5", "rot:90"}) {
    const auto& e = doc["results"]["transforms"][t];
    for (const char* key : {"decoder_mse", "reference_mse", "latent_error"}) {
      ASSERT_TRUE(e[key].is_number()) << t << " " << key;
      EXPECT_GE(e[key].get<double>(), 0.0);
    }
  }
  EXPECT_EQ(doc["protocol"]["scale"], "bilinear, align_corners=False, no antialias");
#if LATENTLAB_WITH_HDF5
  // The same VAE's latents through a store: (C, h, w) = (4, 8, 8) comes back from the store's identity.
  const auto cache = latentlab("cache --quiet --threads 1 --vae " + dir.file("vae.safetensors") +
                               " --data shapes:n=12,res=32 --out " + dir.file("s.h5"));
  ASSERT_EQ(cache.exit_code, 0) << cache.err;
  const auto a = latentlab("analyze latents " + dir.file("s.h5") + " --measures stats,spectrum --quiet --threads 1 " +
                           "--out " + dir.file("a.json"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto latents = nlohmann::json::parse(testing::read_text(dir.file("a.json")));
  EXPECT_EQ(latents["protocol"]["input"]["kind"], "latent store");
  EXPECT_EQ(latents["protocol"]["input"]["row_shape"], nlohmann::json({4, 8, 8}));
  EXPECT_EQ(latents["results"]["stats"]["active_units"]["units"], 256);
  EXPECT_EQ(latents["results"]["spectrum"]["latent"]["maps"], 48);
#endif
}
#endif

}  // namespace
}  // namespace latentlab
