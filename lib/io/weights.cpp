#include "io/weights.h"

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/strings.h"
#include "io/npy.h"
#include "io/npz.h"
#include "io/pth.h"
#include "io/rename_map.h"
#include "io/safetensors.h"
#include "io/zip_archive.h"

namespace latentlab::io {
namespace {

constexpr const char* kKnown = "safetensors, .pth/.pt (zip or legacy), .npz, .npy";

std::string stem_of(const std::string& path) {
  const auto slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

const char* format_name(WeightsFormat format) {
  switch (format) {
    case WeightsFormat::Safetensors:
      return "safetensors";
    case WeightsFormat::PthZip:
      return "pth-zip";
    case WeightsFormat::PthLegacy:
      return "pth-legacy";
    case WeightsFormat::Npz:
      return "npz";
    case WeightsFormat::Npy:
      return "npy";
  }
  return "?";
}

WeightsFormat detect_weights_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open: {}", std::strerror(errno));
  unsigned char head[10] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  const auto got = static_cast<size_t>(in.gcount());
  if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) {
    ZipReader zip(path);  // without libzip this refuses the file (io/zip_archive_unavailable.cpp)
    for (const auto& name : zip.names())
      if (ends_with(name, "/data.pkl") || name == "data.pkl") return WeightsFormat::PthZip;
    for (const auto& name : zip.names())
      if (ends_with(name, ".npy")) return WeightsFormat::Npz;
    fail(path, "a zip archive with neither data.pkl (torch.save) nor .npy members (numpy)");
  }
  if (got >= 6 && std::memcmp(head, "\x93NUMPY", 6) == 0) return WeightsFormat::Npy;
  if (got >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) return WeightsFormat::PthLegacy;
  if (got >= 9 && head[8] == '{') return WeightsFormat::Safetensors;
  fail(path, "unknown weights format (known: {})", kKnown);
}

WeightsFile load_weights(const std::string& path, const std::string& select) {
  WeightsFile file;
  file.path = path;
  file.format = detect_weights_format(path);
  file.selected = select;
  switch (file.format) {
    case WeightsFormat::Safetensors: {
      auto st = read_safetensors(path);
      file.arrays = std::move(st.arrays);
      file.metadata = std::move(st.metadata);
      break;
    }
    case WeightsFormat::PthZip:
    case WeightsFormat::PthLegacy: {
      PthFile pth(path);
      for (const auto& item : flatten(pth.root(), path))
        if (item.value->kind != PickleValue::Kind::Tensor) file.metadata[item.name] = describe(*item.value, 60);
      for (const auto& item : select_tensors(pth.root(), select, path))
        file.arrays.emplace_back(item.name, pth.read(*item.value->tensor, item.name));
      return file;
    }
    case WeightsFormat::Npz:
      file.arrays = read_npz(path);
      break;
    case WeightsFormat::Npy:
      file.arrays.emplace_back(stem_of(path), read_npy(path));
      break;
  }
  if (!select.empty()) file.arrays = select_prefix(file.arrays, select + ".", path);
  return file;
}

}  // namespace latentlab::io
