// Small results documents shaped like those `latentlab recon`, `fid` and `probe` write (same keys, made
// by io::make_results), with numbers chosen by the test. Inputs are named by path; their "SHA-256" is the
// hash of the path, so two documents about the same path count as the same inputs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/results_json.h"
#include "io/sha256.h"

namespace latentlab::testing {

inline io::InputRecord fake_input(const std::string& role, const std::string& path) {
  return {role, path, io::sha256_hex(path), nullptr};
}

// `count` images; `official` marks official Inception and LPIPS weights (the paper's protocol with 50,000).
inline nlohmann::json recon_results(const std::string& vae, double rfid, double psnr, double ssim, double lpips,
                                    int count = 4, bool official = false) {
  const nlohmann::json protocol = {{"count", count},
                                   {"dataset", "shapes:seed=3,n=4,res=32"},
                                   {"vae_sha256", io::sha256_hex(vae)},
                                   {"vae_config", {{"preset", "tiny-f4d4"}}},
                                   {"extractor", {{"weights_official", official}}},
                                   {"lpips", {{"trunk_official", official}}}};
  const nlohmann::json results = {{"count", count}, {"rfid", rfid}, {"psnr", psnr}, {"ssim", ssim}, {"lpips", lpips}};
  return io::make_results({"recon", "cpu", 1, {{"vae", vae + ".safetensors"}}}, protocol,
                          {fake_input("vae", vae + ".safetensors")}, results);
}

// FID of the image folder `fake` (`count` images) against one reference folder.
inline nlohmann::json fid_results(const std::string& fake, double fid, int count = 10, bool official = false) {
  const nlohmann::json protocol = {{"official_weights", official},
                                   {"resize", "tf1-bilinear"},
                                   {"sets",
                                    {{"fake", {{"count", count}, {"input", "images:" + fake}}},
                                     {"real", {{"count", 10}, {"input", "images:ref"}}}}}};
  return io::make_results({"fid", "cpu", 1, {{"A", fake}, {"B", "ref"}}}, protocol,
                          {fake_input("fake", fake), fake_input("real", "ref")},
                          {{"fid", fid}, {"count_fake", count}, {"count_real", 10}, {"official_weights", official}});
}

// Attribute probe of `input` with these per-attribute F1 scores; macro-F1 is their mean.
inline nlohmann::json probe_results(const std::string& input, const std::vector<std::pair<std::string, double>>& f1,
                                    const std::string& mode = "mean") {
  nlohmann::json names = nlohmann::json::array(), attributes = nlohmann::json::array();
  double sum = 0;
  for (const auto& [name, value] : f1) {
    names.push_back(name);
    attributes.push_back({{"name", name}, {"f1", value}, {"average_precision", value}, {"accuracy", value}});
    sum += value;
  }
  const nlohmann::json protocol = {{"features", {{"mode", mode}, {"input", {{"attributes", names}, {"kind", "npz"}}}}},
                                   {"split", {{"seed", 0}, {"source", "seeded random"}}}};
  const nlohmann::json linear = {{"attributes", attributes},
                                 {"macro_f1", sum / static_cast<double>(f1.size())},
                                 {"micro_f1", sum / static_cast<double>(f1.size())}};
  return io::make_results({"probe", "cpu", 1, {{"input", input + ".npz"}}}, protocol,
                          {fake_input("features", input + ".npz")}, {{"attributes", {{"linear", linear}}}});
}

}  // namespace latentlab::testing
