// Weights of the FID Inception: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (a legacy torch.save
// state dict) or any file io::load_weights reads with the same names: a safetensors conversion, a zip .pth.
//
// The layout is torchvision's Inception3 state dict without AuxLogits: for each BasicConv2d
// `<block>.conv.weight` (out, in, kh, kw) and `<block>.bn.{weight,bias,running_mean,running_var}` (out),
// then `fc.weight` (1008, 2048) and `fc.bias` (1008); 472 tensors, 23,885,392 values (~96 MB float32).
// `*.num_batches_tracked` entries (written by torch ≥ 1.0) are ignored; any other unknown tensor is an
// error, as pytorch-fid's strict load_state_dict makes it.
#pragma once

#include <string>

#include "io/array.h"

namespace latentlab::models {

class InceptionFID;

// pytorch-fid publishes the file as `pt_inception-2015-12-05-6726825d.pth`; torch.hub's convention makes
// the suffix the first 8 hex digits of the file's SHA-256. Only this prefix is published (docs/METRICS.md
// gives no full digest), so "official" means "the SHA-256 starts with it". A third-party note gives
// 6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2 for torch-fidelity's copy of the same
// name; it is unverified here and not used.
inline constexpr const char* kInceptionOfficialSha256Prefix = "6726825d";

struct InceptionWeightsInfo {
  std::string path;
  std::string format;     // io::format_name: "pth-legacy", "pth-zip", "safetensors", …
  std::string sha256;     // of the whole file (lower-case hex), computed once per file per process
  bool official = false;  // sha256 starts with kInceptionOfficialSha256Prefix
};

// Reads `path` with io::load_weights and copies every tensor into `model` (on whatever device it is).
// Throws UserError naming `path` and the key for a missing tensor, a wrong shape, a non-float dtype or an
// unexpected tensor; on error the model is left unchanged.
InceptionWeightsInfo load_inception_fid_weights(InceptionFID& model, const std::string& path);

// The same check and copy for arrays already in memory; errors name `subject`.
void load_inception_fid_state(InceptionFID& model, const io::NamedArrays& arrays, const std::string& subject);

// The model's tensors as float32 arrays in the pytorch-fid layout and order (for conversions and tests).
io::NamedArrays inception_fid_state(InceptionFID& model);

// SHA-256 of a file, cached per (canonical path, size, modification time) for the life of the process.
std::string cached_file_sha256(const std::string& path);

bool is_official_inception_sha256(const std::string& sha256);

}  // namespace latentlab::models
