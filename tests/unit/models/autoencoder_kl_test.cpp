// AutoencoderKL (lib/models/autoencoder_kl.cpp, _net, _io, _diffusers): preset shapes and parameter counts,
// LDM names, weight inference, batch independence, gradients, save/load round trips, the diffusers key
// mapping against an inverse mapping written here, prefixes and skipped tensors, and the loader's errors.
// The posterior and the config JSON have their own test files. Numerical agreement with an independent PyTorch
// implementation is checked in tests/reference/models/autoencoder_kl_reference_test.cpp.
#include "models/autoencoder_kl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <regex>
#include <set>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "io/sha256.h"
#include "io/tensor_convert.h"
#include "models/autoencoder_kl_diffusers.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::problem_of;
using testing::ScratchDir;

AutoencoderKL seeded(const std::string& preset, uint64_t seed = 5) {
  at::manual_seed(seed);
  return AutoencoderKL(AutoencoderKLConfig::preset_config(preset));
}

at::Tensor images(int64_t n, int64_t h, int64_t w, uint64_t seed = 11) {
  at::manual_seed(seed);
  return at::rand({n, 3, h, w}) * 2 - 1;
}

bool same_arrays(const io::NamedArrays& a, const io::NamedArrays& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || a[i].second.shape != b[i].second.shape ||
        a[i].second.nbytes != b[i].second.nbytes ||
        std::memcmp(a[i].second.data, b[i].second.data, a[i].second.nbytes) != 0) {
      ADD_FAILURE() << "tensor " << i << " '" << a[i].first << "' / '" << b[i].first << "' differs";
      return false;
    }
  }
  return true;
}

// Parameter names and shapes only (no data): what from_weights reads.
io::NamedArrays shapes_of(AutoencoderKL& model) {
  io::NamedArrays out;
  for (const auto& p : model.module().named_parameters()) {
    io::Array a;
    a.shape = p.value().sizes().vec();
    out.emplace_back(p.key(), a);
  }
  return out;
}

class AutoencoderKLPresetTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AutoencoderKLPresetTest, HasItsFactorShapesAndParameterCount) {
  // f8d4's count is the published SD-VAE / LDM kl-f8 count; all counts equal the Python reference's
  // (autoencoder_kl_reference.py counts, checked again in the reference test).
  const std::map<std::string, std::pair<int64_t, int64_t>> expected = {{"f8d4", {8, 83653863}},
                                                                       {"f16d16", {16, 69610963}},
                                                                       {"f16d32", {16, 69836067}},
                                                                       {"tiny-f4d4", {4, 1004871}},
                                                                       {"small-f8d8", {8, 4298283}}};
  ASSERT_EQ(AutoencoderKLConfig::preset_names().size(), expected.size());
  const std::string name = GetParam();
  at::NoGradGuard no_grad;
  AutoencoderKL model = seeded(name);
  const auto& c = model.config();
  const int64_t f = expected.at(name).first;
  EXPECT_EQ(c.preset, name);
  EXPECT_EQ(c.downsampling_factor(), f);
  EXPECT_EQ(model.parameter_count(), expected.at(name).second);
  // Small inputs keep the large presets fast: any multiple of f runs.
  const int64_t h = 2 * f, w = 3 * f;
  const Posterior q = model.encode(images(2, h, w));
  for (const auto& t : {q.mean, q.logvar, q.std}) EXPECT_EQ(t.sizes(), at::IntArrayRef({2, c.embed_dim, 2, 3}));
  EXPECT_EQ(model.decode(q.mean).sizes(), at::IntArrayRef({2, 3, h, w}));
  // The architecture can be read back from the tensor shapes alone.
  const AutoencoderKLConfig inferred = AutoencoderKLConfig::from_weights(shapes_of(model), c.resolution, "test");
  EXPECT_EQ(inferred.preset, name);
  EXPECT_TRUE(same_architecture(inferred, c));
}

INSTANTIATE_TEST_SUITE_P(Presets, AutoencoderKLPresetTest, ::testing::ValuesIn(AutoencoderKLConfig::preset_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

TEST(AutoencoderKLTest, LdmStateDictNames) {
  AutoencoderKL model = seeded("tiny-f4d4");
  std::set<std::string> names;
  for (const auto& p : model.module().named_parameters()) names.insert(p.key());
  for (const char* name :
       {"encoder.conv_in.weight", "encoder.down.0.block.0.norm1.weight", "encoder.down.1.block.0.nin_shortcut.weight",
        "encoder.down.1.attn.0.q.weight", "encoder.down.0.downsample.conv.weight", "encoder.mid.block_1.conv1.weight",
        "encoder.mid.attn_1.proj_out.bias", "encoder.norm_out.weight", "encoder.conv_out.weight", "quant_conv.weight",
        "post_quant_conv.bias", "decoder.conv_in.weight", "decoder.mid.block_2.conv2.bias",
        "decoder.up.0.block.0.nin_shortcut.weight", "decoder.up.1.attn.1.k.weight", "decoder.up.2.upsample.conv.weight",
        "decoder.up.1.upsample.conv.weight", "decoder.conv_out.weight"})
    EXPECT_TRUE(names.count(name)) << name;
  // No level-0 upsampler, no last-level downsampler, and no shortcut where the width stays.
  for (const char* name : {"decoder.up.0.upsample.conv.weight", "encoder.down.2.downsample.conv.weight",
                           "encoder.down.0.block.0.nin_shortcut.weight", "decoder.up.2.block.0.nin_shortcut.weight"})
    EXPECT_FALSE(names.count(name)) << name;
  // decoder.up.0 works at full resolution: its blocks narrow from ch·2 to ch.
  auto params = model.module().named_parameters();
  EXPECT_EQ(params["decoder.up.0.block.0.conv1.weight"].sizes(), at::IntArrayRef({32, 64, 3, 3}));
  EXPECT_EQ(params["quant_conv.weight"].sizes(), at::IntArrayRef({8, 8, 1, 1}));
  EXPECT_EQ(params["post_quant_conv.weight"].sizes(), at::IntArrayRef({4, 4, 1, 1}));
}

TEST(AutoencoderKLTest, SaveLoadRoundTripIsExactWithoutAConfig) {
  ScratchDir dir;
  AutoencoderKL model = seeded("tiny-f4d4");
  const std::string path = dir.file("vae.safetensors");
  model.save(path);
  AutoencoderKLLoadReport report;
  AutoencoderKL back = AutoencoderKL::load(path, {}, &report);
  EXPECT_EQ(report.config_source, "metadata");
  EXPECT_EQ(report.layout, "ldm");
  EXPECT_EQ(report.format, "safetensors");
  EXPECT_EQ(report.loaded, 182);
  EXPECT_EQ(back.config().to_json(), model.config().to_json());
  EXPECT_EQ(back.weights_sha256(), io::sha256_file(path));
  EXPECT_EQ(back.weights_path(), path);
  EXPECT_EQ(model.weights_sha256(), "");
  EXPECT_TRUE(same_arrays(back.state_arrays(), model.state_arrays()));
  at::NoGradGuard no_grad;
  const auto x = images(2, 16, 24);
  EXPECT_TRUE(at::equal(back.encode(x).mean, model.encode(x).mean));
  EXPECT_TRUE(at::equal(back.forward(x, false).reconstruction, model.forward(x, false).reconstruction));

  // A custom config survives through the metadata (it cannot be told from the shapes: resolution).
  AutoencoderKLConfig c = AutoencoderKLConfig::preset_config("tiny-f4d4");
  c.resolution = 64;
  c.attn_resolutions = {32};
  AutoencoderKL custom(c);
  custom.save(dir.file("custom.safetensors"));
  EXPECT_EQ(AutoencoderKL::load(dir.file("custom.safetensors")).config().to_json(), custom.config().to_json());
}

// LDM names -> diffusers names, written here independently of lib/models/autoencoder_kl_diffusers.cpp (string
// edits in the other direction); `old_attention` uses diffusers' pre-0.14 attention names.
std::string to_diffusers(const std::string& ldm, int64_t levels, bool old_attention) {
  std::string s = ldm;
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    if (at != std::string::npos) s.replace(at, from.size(), to);
  };
  std::smatch m;
  static const std::regex up(R"(^decoder\.up\.(\d+)\.(.*)$)");
  if (std::regex_match(ldm, m, up))
    s = "decoder.up_blocks." + std::to_string(levels - 1 - std::stoll(m[1])) + "." + m[2].str();
  replace("encoder.down.", "encoder.down_blocks.");
  replace(".block_1.", ".resnets.0.");
  replace(".block_2.", ".resnets.1.");
  replace(".mid.", ".mid_block.");
  replace(".attn_1.", ".attentions.0.");
  replace(".block.", ".resnets.");
  replace(".attn.", ".attentions.");
  replace(".downsample.conv.", ".downsamplers.0.conv.");
  replace(".upsample.conv.", ".upsamplers.0.conv.");
  replace(".nin_shortcut.", ".conv_shortcut.");
  replace(".norm_out.", ".conv_norm_out.");
  if (s.find(".attentions.") != std::string::npos) {
    const char* const parts[][3] = {{".norm.", ".group_norm.", ".group_norm."},
                                    {".q.", ".to_q.", ".query."},
                                    {".k.", ".to_k.", ".key."},
                                    {".v.", ".to_v.", ".value."},
                                    {".proj_out.", ".to_out.0.", ".proj_attn."}};
    for (const auto& part : parts) replace(part[0], old_attention ? part[2] : part[1]);
  }
  return s;
}

TEST(AutoencoderKLTest, DiffusersFilesLoadLikeTheLdmFile) {
  ScratchDir dir;
  AutoencoderKL model = seeded("tiny-f4d4", 9);
  const io::NamedArrays ldm = model.state_arrays();
  for (bool old_attention : {false, true}) {
    SCOPED_TRACE(old_attention ? "query/key/value names" : "to_q/to_k/to_v names");
    io::NamedArrays diffusers;
    int linear = 0;
    for (const auto& [name, array] : ldm) {
      io::Array a = array;
      const std::string renamed = to_diffusers(name, 3, old_attention);
      // Attention projections are Linear layers in diffusers: C×C weights.
      if (renamed.find(".attentions.") != std::string::npos && a.shape.size() == 4) {
        a.shape = {a.shape[0], a.shape[1]};
        ++linear;
      }
      diffusers.emplace_back(renamed, a);
    }
    EXPECT_EQ(linear, 4 * (2 + 1 + 2 * 1));  // mid attention ×2, encoder level 1 ×1, decoder level 1 ×2
    for (const char* name :
         {"decoder.up_blocks.2.resnets.0.conv_shortcut.weight", "decoder.up_blocks.0.upsamplers.0.conv.weight",
          "encoder.mid_block.attentions.0.group_norm.weight", "encoder.down_blocks.0.downsamplers.0.conv.bias",
          "decoder.conv_norm_out.bias", "decoder.mid_block.resnets.1.conv2.weight"}) {
      bool found = false;
      for (const auto& item : diffusers) found = found || item.first == name;
      EXPECT_TRUE(found) << name;
    }
    EXPECT_TRUE(is_diffusers_autoencoder_kl(diffusers));
    EXPECT_FALSE(is_diffusers_autoencoder_kl(ldm));
    const std::string path = dir.file(old_attention ? "old.safetensors" : "new.safetensors");
    io::write_safetensors(path, diffusers);
    AutoencoderKLLoadOptions options;
    options.resolution = 32;  // tiny-f4d4's, for the inferred attention levels
    AutoencoderKLLoadReport report;
    AutoencoderKL loaded = AutoencoderKL::load(path, options, &report);
    EXPECT_EQ(report.layout, "diffusers");
    EXPECT_EQ(report.config_source, "inferred");
    EXPECT_EQ(loaded.config().preset, "tiny-f4d4");
    EXPECT_TRUE(same_arrays(loaded.state_arrays(), ldm));
    at::NoGradGuard no_grad;
    const auto x = images(1, 16, 16);
    EXPECT_TRUE(at::equal(loaded.forward(x, false).reconstruction, model.forward(x, false).reconstruction));
  }
}

TEST(AutoencoderKLTest, FindsThePrefixAndSkipsLossTensors) {
  ScratchDir dir;
  AutoencoderKL model = seeded("tiny-f4d4");
  io::NamedArrays arrays;
  const auto state = model.state_arrays();
  arrays.emplace_back("model.diffusion_model.out.2.weight", state.front().second);  // another network
  for (const auto& [name, array] : state) arrays.emplace_back("first_stage_model." + name, array);
  arrays.emplace_back("first_stage_model.loss.logvar", state.back().second);
  arrays.emplace_back("first_stage_model.model_ema.decay", state.back().second);
  io::write_safetensors(dir.file("sd.safetensors"), arrays);
  AutoencoderKLLoadOptions options;
  options.config = AutoencoderKLConfig::preset_config("tiny-f4d4");
  AutoencoderKLLoadReport report;
  AutoencoderKL loaded = AutoencoderKL::load(dir.file("sd.safetensors"), options, &report);
  EXPECT_EQ(report.prefix, "first_stage_model");
  EXPECT_EQ(report.config_source, "options");
  EXPECT_EQ(report.skipped, 2);
  EXPECT_EQ(report.outside, 1);
  EXPECT_TRUE(same_arrays(loaded.state_arrays(), state));

  options.prefix = "model";
  EXPECT_CONTAINS(
      problem_of([&] { AutoencoderKL::load(dir.file("sd.safetensors"), options); }, dir.file("sd.safetensors")),
      "first missing 'encoder.conv_in.weight'");
}

TEST(AutoencoderKLTest, MismatchedFilesNameTheFirstBadTensor) {
  ScratchDir dir;
  AutoencoderKL model = seeded("tiny-f4d4");
  const auto state = model.state_arrays();
  const std::string path = dir.file("bad.safetensors");
  auto error = [&](const io::NamedArrays& arrays) {
    io::write_safetensors(path, arrays);
    AutoencoderKLLoadOptions options;
    options.config = model.config();
    return problem_of([&] { AutoencoderKL::load(path, options); }, path);
  };
  io::NamedArrays missing;
  for (const auto& item : state)
    if (item.first != "decoder.conv_out.bias" && item.first != "decoder.norm_out.bias") missing.push_back(item);
  EXPECT_CONTAINS(error(missing), "2 missing, 0 unexpected, 0 with the wrong shape of 182 tensors");
  EXPECT_CONTAINS(error(missing), "first missing 'decoder.norm_out.bias'");

  io::NamedArrays unexpected = state;
  unexpected.emplace_back("encoder.extra.weight", state.back().second);
  EXPECT_CONTAINS(error(unexpected), "0 missing, 1 unexpected");
  EXPECT_CONTAINS(error(unexpected), "first unexpected 'encoder.extra.weight'");

  io::NamedArrays wrong = state;
  for (auto& item : wrong)
    if (item.first == "quant_conv.bias") item.second = state.front().second;  // conv_in.weight, [32, 3, 3, 3]
  EXPECT_CONTAINS(error(wrong), "first shape mismatch 'quant_conv.bias' (file [32, 3, 3, 3], model [8])");

  // Without a config, a file that is not an autoencoder fails on the anchor tensor.
  io::write_safetensors(path, {{"weight", state.front().second}});
  EXPECT_CONTAINS(problem_of([&] { AutoencoderKL::load(path); }, path),
                  "no AutoencoderKL in this file: no tensor named [<prefix>.]encoder.conv_in.weight among its 1 "
                  "tensors (first: weight)");
}

TEST(AutoencoderKLTest, EncodingDoesNotDependOnTheBatch) {
  // GroupNorm and attention work per image, so an image's posterior is the same alone or in a batch; the
  // tolerance covers convolution kernels that oneDNN may pick differently per batch size.
  AutoencoderKL model = seeded("small-f8d8");
  at::NoGradGuard no_grad;
  const auto x = images(3, 32, 32);
  const Posterior all = model.encode(x);
  for (int64_t i = 0; i < 3; ++i) {
    const Posterior one = model.encode(x.slice(0, i, i + 1));
    EXPECT_LT((one.mean - all.mean.slice(0, i, i + 1)).abs().max().item<double>(), 1e-5);
    EXPECT_LT((one.std - all.std.slice(0, i, i + 1)).abs().max().item<double>(), 1e-5);
  }
}

TEST(AutoencoderKLTest, GradientsReachEveryParameter) {
  AutoencoderKL model = seeded("tiny-f4d4");
  at::Generator gen = at::detail::createCPUGenerator(3);
  const auto out = model.forward(images(2, 16, 16), true, gen);
  ((out.reconstruction - 0.5).pow(2).mean() + 1e-3 * out.posterior.kl().mean()).backward();
  for (const auto& p : model.module().named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

TEST(AutoencoderKLTest, HalfPrecisionFilesLoadAsFloat32) {
  ScratchDir dir;
  AutoencoderKL model = seeded("tiny-f4d4");
  io::NamedArrays half;
  for (const auto& [name, array] : model.state_arrays())
    half.emplace_back(name, io::to_array(io::to_tensor(array).to(at::kHalf), name));
  io::write_safetensors(dir.file("half.safetensors"), half);
  AutoencoderKLLoadOptions options;
  options.resolution = 32;
  AutoencoderKL loaded = AutoencoderKL::load(dir.file("half.safetensors"), options);
  auto a = loaded.module().named_parameters()["encoder.conv_in.weight"];
  auto b = model.module().named_parameters()["encoder.conv_in.weight"];
  EXPECT_EQ(a.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(a, b.to(at::kHalf).to(at::kFloat)));
}

TEST(AutoencoderKLTest, RejectsImagesThatDoNotFit) {
  AutoencoderKL model = seeded("tiny-f4d4");
  at::NoGradGuard no_grad;
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        model.encode(at::zeros({1, 3, 18, 16}));
                      },
                      "autoencoder-kl"),
                  "images must be N×3×H×W with H and W positive multiples of 4, got [1, 3, 18, 16]");
  EXPECT_CONTAINS(problem_of([&] { model.encode(at::zeros({1, 1, 16, 16})); }, "autoencoder-kl"), "got [1, 1, 16, 16]");
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        model.decode(at::zeros({1, 3, 4, 4}));
                      },
                      "autoencoder-kl"),
                  "latents must be N×4×H×W");
}

}  // namespace
}  // namespace latentlab::models
