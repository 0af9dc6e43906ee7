// Cross-checks the FID Inception against an independent PyTorch implementation (inception_fid_reference.py:
// torchvision's Inception3 blocks with pytorch-fid's FID overrides, the TF 1.x resize written in numpy,
// pytorch-fid's F.interpolate path). Both sides load the same seeded random weights (a legacy-format .pth
// in pytorch-fid's layout, written by the script) and the same uint8 images of several sizes.
//
// The network runs twice: as loaded and with its batch norms folded into the convolutions (the extractor's way).
// Tolerances: the resized and normalised inputs agree to 1e-5 (float32 rounding of the same arithmetic;
// values in [-1, 1]); pool3, logits, logits_unbiased and spatial agree to 1e-4 absolute, torch-fidelity's
// declared "Inception uint8 -> pool3" tolerance against TF (docs/METRICS.md §15), with features of order 1.
// Skipped (not passed) when python3-torchvision is missing.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/ranges.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "models/inception_fid.h"
#include "models/inception_fid_input.h"
#include "models/inception_fid_weights.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz: left out, not skipped, without libzip
namespace latentlab::models {
namespace {

using testing::max_abs_diff;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(InceptionFIDReference, MatchesTorchvisionPytorchFidNetwork) {
  if (!testing::reference_python_has("torch, torchvision, numpy")) GTEST_SKIP() << "python3-torchvision missing";
  testing::ScratchDir dir;
  const auto result = testing::run_reference_python("models/inception_fid_reference.py", dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;

  std::map<std::string, at::Tensor> reference;
  for (const auto& [name, array] : io::read_npz(dir.file("reference.npz"))) reference[name] = io::to_tensor(array);

  InceptionFID model;
  model.eval();
  const auto info = load_inception_fid_weights(model, dir.file("weights.pth"));
  EXPECT_EQ(info.format, "pth-legacy");  // the published file's serialisation
  EXPECT_FALSE(info.official);

  const std::map<std::string, InceptionResize> modes = {{"tf1", InceptionResize::TF1Bilinear},
                                                        {"torch", InceptionResize::TorchBilinear}};
  // Every case, both resize modes: the inputs after resize and normalisation.
  std::map<std::string, at::Tensor> inputs;  // "tf1_0" -> (N, 3, 299, 299)
  for (int k = 0; reference.count("images_" + std::to_string(k)); ++k) {
    const auto& images = reference.at("images_" + std::to_string(k));
    for (const auto& [tag, mode] : modes) {
      const std::string key = tag + "_" + std::to_string(k);
      inputs[key] = prepare_inception_input(images, mode);
      const double diff = max_abs_diff(inputs[key], reference.at(key + "_input"));
      std::printf("%-8s images %s: input max |diff| %.3g\n", key.c_str(),
                  fmt::format("{}", fmt::join(images.sizes(), "x")).c_str(), diff);
      EXPECT_LE(diff, 1e-5) << key;
    }
  }
  ASSERT_EQ(inputs.size(), 8u);

  // The network on the inputs the script ran it on, in one batch, from our own prepared inputs.
  std::vector<std::string> keys;
  for (const auto& [name, tensor] : reference) {
    if (ends_with(name, "_pool3")) keys.push_back(name.substr(0, name.size() - 6));
  }
  ASSERT_FALSE(keys.empty());
  std::vector<at::Tensor> batch;
  for (const auto& key : keys) batch.push_back(inputs.at(key));
  // As loaded, then with the batch norms folded into the convolutions (what the extractor runs).
  for (const bool fold : {false, true}) {
    model.fold_batch_norms(fold);
    InceptionFIDOutputs out;
    {
      c10::InferenceMode inference;
      out = model.forward(at::cat(batch));
    }
    const std::map<std::string, at::Tensor> ours = {{"pool3", out.pool3},
                                                    {"logits", out.logits},
                                                    {"logits_unbiased", out.logits_unbiased},
                                                    {"spatial", out.spatial}};
    std::map<std::string, double> worst;
    int64_t row = 0;
    for (const auto& key : keys) {
      const int64_t n = inputs.at(key).size(0);
      for (const auto& [name, tensor] : ours) {
        const double diff = max_abs_diff(tensor.narrow(0, row, n), reference.at(key + "_" + name));
        worst[name] = std::max(worst[name], diff);
        EXPECT_LE(diff, 1e-4) << key << " " << name << (fold ? " (folded)" : "");
      }
      row += n;
    }
    for (const auto& [name, diff] : worst) {
      std::printf("%-16s (%zu inputs, %lld images%s) max |diff| %.3g\n", name.c_str(), keys.size(),
                  static_cast<long long>(row), fold ? ", batch norms folded" : "", diff);
    }
  }
}

}  // namespace
}  // namespace latentlab::models
#endif  // LATENTLAB_WITH_ZIP
