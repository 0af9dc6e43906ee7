// The Send-VAE paper's published numbers for Tables 1, 7 and 8 (../shared/docs/PAPER.md §12, copied
// digit for digit; NaN where the paper prints "-"). Reference data for the paper-style tables: printed
// beside our results, never used to compute anything.
#pragma once

#include <string>
#include <vector>

namespace latentlab::report::paper {

// Table 1, ImageNet 256x256 system level. values: rFID, then gFID sFID IS Prec Rec without CFG, then with.
struct SystemRow {
  const char* tokenizer;
  const char* method;
  const char* epochs;
  const char* params;
  std::vector<double> values;  // 11
};
const std::vector<SystemRow>& table1();

// Table 7, reconstruction on ImageNet-1k val vs generation (SiT-B/1 + REPA, 80 epochs, no CFG).
struct ReconRow {
  const char* model;
  double rfid, psnr, lpips, ssim, gfid;
};
const std::vector<ReconRow>& table7();

// Table 8, attribute linear probe F1 per dataset; columns IN-VAE, VA-VAE, E2E-VAE, Send-VAE.
struct ProbeRow {
  const char* dataset;
  std::vector<double> f1;  // 4
};
const std::vector<const char*>& table8_models();
const std::vector<ProbeRow>& table8();
const std::vector<double>& table8_gfid();  // SiT-B/1, 80 epochs, no CFG

// The paper's model a label names ("send-vae-seed1" -> "Send-VAE", "plain" -> "IN-VAE"), or "".
std::string paper_model(const std::string& label);

}  // namespace latentlab::report::paper
