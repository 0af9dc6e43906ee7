// One entry point for the weight files researchers have: the format is detected from the content, not the
// file name, and the tensors come back as io::Arrays in file order.
//
//   safetensors     8-byte header length + JSON header + data (memory-mapped, zero copy)
//   pth-zip         torch.save since 1.6 (zip archive with <prefix>/data.pkl)
//   pth-legacy      torch.save before 1.6 (a pickle stream; published Inception-FID, LPIPS, VGG16 weights)
//   npz             numpy archive (each member one array, named without ".npy")
//   npy             one numpy array (named after the file's stem)
//
// `select` picks a sub-tree: for .pth files see io::select_tensors (auto picks state_dict/model/ema/…);
// for the flat formats "" keeps everything and "ema" keeps the names starting with "ema." (stripped).
#pragma once

#include <map>
#include <string>

#include "io/array.h"

namespace latentlab::io {

enum class WeightsFormat { Safetensors, PthZip, PthLegacy, Npz, Npy };

const char* format_name(WeightsFormat format);  // "safetensors", "pth-zip", …

// Reads the first bytes (and, for zip archives, the entry names). Throws UserError naming `path` and
// listing the known formats when none matches.
WeightsFormat detect_weights_format(const std::string& path);

struct WeightsFile {
  std::string path;
  WeightsFormat format = WeightsFormat::Safetensors;
  std::string selected;  // the sub-tree used ("" for all)
  NamedArrays arrays;
  // safetensors __metadata__; for .pth files the non-tensor leaves (epoch, step, …) as short text.
  std::map<std::string, std::string> metadata;
};

WeightsFile load_weights(const std::string& path, const std::string& select = "");

}  // namespace latentlab::io
