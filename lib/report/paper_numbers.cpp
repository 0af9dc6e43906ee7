#include "report/paper_numbers.h"

#include <cctype>
#include <cmath>
#include <utility>

namespace latentlab::report::paper {
namespace {
const double _ = std::nan("");  // "-" in the paper
}

const std::vector<SystemRow>& table1() {
  static const std::vector<SystemRow> rows = {
      {"MaskGiT", "MaskGIT", "555", "227M", {2.28, 6.18, _, 182.1, 0.80, 0.51, _, _, _, _, _}},
      {"VQGAN", "LlamaGen", "300", "3.1B", {0.59, 9.38, 8.24, 112.9, 0.69, 0.67, 2.18, 5.97, 263.3, 0.81, 0.58}},
      {"VQVAE", "VAR", "350", "2.0B", {_, _, _, _, _, _, 1.80, _, 365.4, 0.83, 0.57}},
      {"LFQ", "MagViT-v2", "1080", "307M", {1.50, 3.65, _, 200.5, _, _, 1.78, _, 319.4, _, _}},
      {"LDM", "MAR", "800", "945M", {0.53, 2.35, _, 227.8, 0.79, 0.62, 1.55, _, 303.7, 0.81, 0.62}},
      {"SD-VAE", "MaskDiT", "1600", "675M", {0.61, 5.69, 10.34, 177.9, 0.74, 0.60, 2.28, 5.67, 276.6, 0.80, 0.61}},
      {"SD-VAE", "DiT", "1400", "675M", {0.61, 9.62, 6.85, 121.5, 0.67, 0.67, 2.27, 4.60, 278.2, 0.83, 0.57}},
      {"SD-VAE", "SiT", "1400", "675M", {0.61, 8.61, 6.32, 131.7, 0.68, 0.67, 2.06, 4.50, 270.3, 0.82, 0.59}},
      {"SD-VAE", "FastDiT", "400", "675M", {0.61, 7.91, 5.45, 131.3, 0.67, 0.69, 2.03, 4.63, 264.0, 0.81, 0.60}},
      {"SD-VAE", "MDT", "1300", "675M", {0.61, 6.23, 5.23, 143.0, 0.71, 0.65, 1.79, 4.57, 283.0, 0.81, 0.61}},
      {"SD-VAE", "MDTv2", "1080", "675M", {0.61, _, _, _, _, _, 1.58, 4.52, 314.7, 0.79, 0.65}},
      {"SD-VAE", "REPA", "800", "675M", {0.61, 5.90, 5.73, 157.8, 0.70, 0.69, 1.42, 4.70, 305.7, 0.80, 0.65}},
      {"VA-VAE", "LightningDiT", "80", "675M", {0.28, 4.29, _, _, _, _, _, _, _, _, _}},
      {"VA-VAE", "LightningDiT", "800", "675M", {0.28, 2.17, 4.36, 205.6, 0.77, 0.65, 1.35, 4.15, 295.3, 0.79, 0.65}},
      {"MAETok", "LightningDiT", "800", "675M", {0.48, 2.21, _, 208.3, _, _, 1.73, _, 308.4, _, _}},
      {"E2E-VAE", "REPA", "80", "675M", {0.28, 3.46, 4.17, 159.8, 0.77, 0.63, 1.67, 4.12, 266.3, 0.80, 0.63}},
      {"E2E-VAE", "REPA", "800", "675M", {0.28, 1.83, 4.22, 217.3, 0.77, 0.66, 1.26, 4.11, 314.9, 0.79, 0.66}},
      {"Send-VAE", "REPA", "80", "675M", {0.31, 2.88, 4.67, 175.3, 0.78, 0.62, 1.41, 4.41, 301.7, 0.79, 0.65}},
      {"Send-VAE", "REPA", "800", "675M", {0.31, 1.75, 4.41, 218.57, 0.79, 0.64, 1.21, 4.10, 315.1, 0.79, 0.66}},
  };
  return rows;
}

const std::vector<ReconRow>& table7() {
  static const std::vector<ReconRow> rows = {
      {"IN-VAE", 0.26, 28.59, 0.089, 0.80, 17.43},
      {"VA-VAE", 0.28, 27.96, 0.096, 0.79, 11.40},
      {"E2E-VAE", 0.28, 27.63, 0.110, 0.77, 8.96},
      {"Send-VAE", 0.31, 27.62, 0.101, 0.77, 7.57},
  };
  return rows;
}

const std::vector<const char*>& table8_models() {
  static const std::vector<const char*> models = {"IN-VAE", "VA-VAE", "E2E-VAE", "Send-VAE"};
  return models;
}

const std::vector<ProbeRow>& table8() {
  static const std::vector<ProbeRow> rows = {
      {"CelebA", {0.6222, 0.6347, 0.6439, 0.6647}},
      {"DeepFashion", {0.0786, 0.1094, 0.1177, 0.1385}},
      {"AwA", {0.5567, 0.5948, 0.6441, 0.6623}},
  };
  return rows;
}

const std::vector<double>& table8_gfid() {
  static const std::vector<double> gfid = {17.43, 11.40, 8.96, 7.57};
  return gfid;
}

std::string paper_model(const std::string& label) {
  std::string key;
  for (const char c : label)
    if (std::isalnum(static_cast<unsigned char>(c)))
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Longest prefixes first; "plain" and "naive" are the paper's IN-VAE (Table 7: "Naive VAE = IN-VAE f16d32").
  static const std::vector<std::pair<const char*, const char*>> prefixes = {
      {"sendvae", "Send-VAE"}, {"e2evae", "E2E-VAE"}, {"repae", "E2E-VAE"}, {"vavae", "VA-VAE"},
      {"invae", "IN-VAE"},     {"naive", "IN-VAE"},   {"plain", "IN-VAE"},  {"send", "Send-VAE"}};
  for (const auto& [prefix, model] : prefixes)
    if (key.rfind(prefix, 0) == 0) return model;
  return "";
}

}  // namespace latentlab::report::paper
