// Loading DINOv2 state dicts by name (layout in the header).
#include "models/dinov2_weights.h"

#include <cctype>
#include <set>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/weights.h"
#include "models/dinov2.h"
#include "models/inception_fid_weights.h"  // cached_file_sha256
#include "models/module_state.h"

namespace latentlab::models {
namespace {

bool is_index(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "blocks.C.N.rest" -> "blocks.N.rest" (dinov2's BlockChunk keeps global indices); other names unchanged.
std::string unchunk(const std::string& name) {
  if (!starts_with(name, "blocks.")) return name;
  const size_t a = name.find('.', 7);
  if (a == std::string::npos) return name;
  const size_t b = name.find('.', a + 1);
  if (b == std::string::npos || !is_index(name.substr(7, a - 7)) || !is_index(name.substr(a + 1, b - a - 1)))
    return name;
  return "blocks." + name.substr(a + 1);
}

}  // namespace

io::NamedArrays normalize_dinov2_names(const io::NamedArrays& arrays, const std::string& subject,
                                       std::string* renamed) {
  std::string prefix;
  for (const char* candidate : {"teacher.backbone.", "backbone.", "student.backbone."}) {
    bool found = false;
    for (const auto& [name, array] : arrays) found = found || starts_with(name, std::string(candidate) + "cls_token");
    if (found) {
      prefix = candidate;
      break;
    }
  }
  io::NamedArrays out;
  std::set<std::string> seen;
  bool chunked = false;
  for (const auto& [name, array] : arrays) {
    if (!starts_with(name, prefix)) continue;  // the other networks of a training checkpoint
    const std::string stripped = name.substr(prefix.size());
    const std::string target = unchunk(stripped);
    chunked = chunked || target != stripped;
    if (!seen.insert(target).second) fail(subject, "two tensors map to '{}' (from '{}')", target, name);
    out.emplace_back(target, array);
  }
  if (renamed != nullptr) {
    *renamed = prefix.empty() ? "" : "prefix " + prefix;
    if (chunked) *renamed += std::string(renamed->empty() ? "" : ", ") + "chunked blocks";
  }
  return out;
}

void load_dinov2_state(DinoV2& model, const io::NamedArrays& arrays, const std::string& subject) {
  const auto& c = model.config();
  load_module_state(model, arrays, subject,
                    fmt::format("DINOv2 {} ({}-d, {} blocks, {} FFN)", c.preset, c.embed_dim, c.depth,
                                c.ffn == DinoV2Ffn::Mlp ? "MLP" : "SwiGLU"));
}

std::shared_ptr<DinoV2> load_dinov2(const std::string& path, const DinoV2LoadOptions& options,
                                    DinoV2WeightsInfo* info) {
  const auto file = io::load_weights(path);
  std::string renamed;
  const io::NamedArrays arrays = normalize_dinov2_names(file.arrays, path, &renamed);
  const DinoV2Config config = DinoV2Config::from_weights(arrays, options.num_heads, path);
  if (!options.expect_preset.empty() && config.preset != options.expect_preset)
    fail(path, "holds a DINOv2 {} ({}-d, {} blocks), not the {} this needs", config.preset, config.embed_dim,
         config.depth, options.expect_preset);
  auto model = std::make_shared<DinoV2>(config);
  load_dinov2_state(*model, arrays, path);
  model->eval();
  DinoV2WeightsInfo result;
  result.path = path;
  result.format = io::format_name(file.format);
  result.sha256 = cached_file_sha256(path);
  result.renamed = renamed;
  result.config = config;
  log::debug("{}: DINOv2 {} weights ({}, sha256 {}{})", path, config.preset, result.format, result.sha256,
             renamed.empty() ? "" : ", renamed: " + renamed);
  if (info != nullptr) *info = result;
  return model;
}

io::NamedArrays dinov2_state(const DinoV2& model) {
  return module_state_arrays(const_cast<DinoV2&>(model));  // reads only
}

}  // namespace latentlab::models
