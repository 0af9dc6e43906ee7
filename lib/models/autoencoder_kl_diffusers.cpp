#include "models/autoencoder_kl_diffusers.h"

#include <algorithm>
#include <regex>

#include "core/error.h"
#include "core/strings.h"

namespace latentlab::models {
namespace {

const std::regex& up_block() {
  static const std::regex re(R"(^decoder\.up_blocks\.(\d+)\.(.*)$)");
  return re;
}

int64_t index_of(const std::string& digits, const std::string& name, const std::string& subject) {
  if (digits.size() > 3) fail(subject, "tensor '{}': implausible block index {}", name, digits);
  return std::stoll(digits);
}

// The rest of a name inside one res block.
std::string resnet_tail(const std::string& tail) {
  if (starts_with(tail, "conv_shortcut.")) return "nin_shortcut." + tail.substr(14);
  return tail;
}

// The rest of a name inside one attention block; `linear` is set for the q/k/v/out projections, which are
// Linear layers in diffusers.
std::string attention_tail(const std::string& tail, bool* linear) {
  static const std::pair<const char*, const char*> kParts[] = {
      {"group_norm.", "norm."},   {"to_q.", "q."},  {"to_k.", "k."}, {"to_v.", "v."},
      {"to_out.0.", "proj_out."}, {"query.", "q."}, {"key.", "k."},  {"value.", "v."},
      {"proj_attn.", "proj_out."}};
  for (const auto& [from, to] : kParts)
    if (starts_with(tail, from)) {
      *linear = std::string(to) != "norm.";
      return to + tail.substr(std::char_traits<char>::length(from));
    }
  return tail;
}

}  // namespace

bool is_diffusers_autoencoder_kl(const io::NamedArrays& tensors) {
  for (const auto& [name, array] : tensors)
    if (starts_with(name, "encoder.down_blocks.") || starts_with(name, "decoder.up_blocks.") ||
        starts_with(name, "encoder.mid_block.") || starts_with(name, "decoder.mid_block."))
      return true;
  return false;
}

io::NamedArrays diffusers_to_ldm_autoencoder_kl(const io::NamedArrays& tensors, const std::string& subject) {
  // n = number of decoder levels, to reverse the up-block order.
  int64_t levels = 0;
  for (const auto& [name, array] : tensors) {
    std::smatch m;
    if (std::regex_match(name, m, up_block())) levels = std::max(levels, index_of(m[1], name, subject) + 1);
  }
  static const std::regex down(R"(^encoder\.down_blocks\.(\d+)\.(resnets|attentions|downsamplers)\.(\d+)\.(.*)$)");
  static const std::regex up(R"(^decoder\.up_blocks\.(\d+)\.(resnets|attentions|upsamplers)\.(\d+)\.(.*)$)");
  static const std::regex mid(R"(^(encoder|decoder)\.mid_block\.(resnets|attentions)\.(\d+)\.(.*)$)");
  static const std::regex norm_out(R"(^(encoder|decoder)\.conv_norm_out\.(.*)$)");

  io::NamedArrays out;
  out.reserve(tensors.size());
  for (const auto& [name, array] : tensors) {
    std::smatch m;
    std::string renamed = name;
    bool linear = false;
    // Block part and the rest, for the three block kinds.
    auto block = [&](const std::string& head, const std::string& kind, const std::string& index,
                     const std::string& tail, const char* resampler) {
      if (kind == "resnets") return head + "block." + index + "." + resnet_tail(tail);
      if (kind == "attentions") return head + "attn." + index + "." + attention_tail(tail, &linear);
      if (index != "0") return name;  // only one resampler per level
      return head + resampler + "." + tail;
    };
    if (std::regex_match(name, m, down)) {
      renamed = block("encoder.down." + m[1].str() + ".", m[2], m[3], m[4], "downsample");
    } else if (std::regex_match(name, m, up)) {
      const int64_t level = levels - 1 - index_of(m[1], name, subject);
      renamed = block("decoder.up." + std::to_string(level) + ".", m[2], m[3], m[4], "upsample");
    } else if (std::regex_match(name, m, mid)) {
      const std::string head = m[1].str() + ".mid.";
      if (m[2] == "resnets" && (m[3] == "0" || m[3] == "1"))
        renamed = head + (m[3] == "0" ? "block_1." : "block_2.") + resnet_tail(m[4]);
      else if (m[2] == "attentions" && m[3] == "0")
        renamed = head + "attn_1." + attention_tail(m[4], &linear);
    } else if (std::regex_match(name, m, norm_out)) {
      renamed = m[1].str() + ".norm_out." + m[2].str();
    }
    io::Array mapped = array;
    if (linear && mapped.shape.size() == 2) mapped.shape = {mapped.shape[0], mapped.shape[1], 1, 1};
    out.emplace_back(std::move(renamed), std::move(mapped));
  }
  return out;
}

}  // namespace latentlab::models
