#include "train/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "distributed/checkpoint_sync.h"
#include "io/safetensors.h"

namespace fs = std::filesystem;

namespace latentlab::train {
namespace {

// (step, path) of every checkpoint in DIR, by step.
std::vector<std::pair<int64_t, std::string>> list_checkpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  if (!fs::is_directory(dir)) return found;
  static const std::regex name(R"(step-(\d+)\.safetensors)");
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(file, m, name))
      found.emplace_back(std::stoll(m[1].str()), entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

std::string write_checkpoint_on_rank0(distributed::Communicator& communicator, const std::string& dir,
                                      const Checkpoint& checkpoint, int keep) {
  const std::string path = checkpoint_path(dir, checkpoint.step);
  distributed::write_on_rank0(communicator, path, [&] { write_checkpoint(dir, checkpoint, keep); });
  return path;
}

std::optional<std::string> checkpoint_to_resume(const std::string& resume, const std::string& dir) {
  if (resume == "off") return std::nullopt;
  if (resume == "auto") return latest_checkpoint(dir);
  if (!fs::exists(resume)) fail_usage("--resume", "checkpoint '{}' does not exist", resume);
  return resume;
}

std::string checkpoint_path(const std::string& dir, int64_t step) {
  return fmt::format("{}/step-{:07d}.safetensors", dir, step);
}

std::string write_checkpoint(const std::string& dir, const Checkpoint& checkpoint, int keep) {
  fs::create_directories(dir);
  const std::string path = checkpoint_path(dir, checkpoint.step);
  nlohmann::json meta = checkpoint.state;
  meta["step"] = checkpoint.step;
  io::write_safetensors(path, checkpoint.tensors,
                        {{"format", "pt"}, {"producer", "latentlab"}, {kCheckpointMetadataKey, meta.dump()}});
  const auto all = list_checkpoints(dir);
  if (keep > 0 && static_cast<int>(all.size()) > keep)
    for (size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i].second);
  return path;
}

std::optional<std::string> latest_checkpoint(const std::string& dir) {
  const auto all = list_checkpoints(dir);
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

Checkpoint read_checkpoint(const std::string& path) {
  auto file = io::read_safetensors(path);
  const auto it = file.metadata.find(kCheckpointMetadataKey);
  if (it == file.metadata.end())
    fail(path, "is not a latentlab training checkpoint (no '{}' metadata)", kCheckpointMetadataKey);
  Checkpoint out;
  out.state = nlohmann::json::parse(it->second, nullptr, false);
  if (!out.state.is_object() || !out.state.contains("step") || !out.state["step"].is_number_integer())
    fail(path, "checkpoint metadata is not an object with an integer step");
  out.step = out.state["step"].get<int64_t>();
  out.tensors = std::move(file.arrays);
  return out;
}

void append_prefixed(io::NamedArrays& out, const std::string& prefix, const io::NamedArrays& in) {
  for (const auto& [name, array] : in) out.emplace_back(prefix + name, array);
}

io::NamedArrays select_prefixed(const io::NamedArrays& in, const std::string& prefix) {
  io::NamedArrays out;
  for (const auto& [name, array] : in)
    if (name.compare(0, prefix.size(), prefix) == 0) out.emplace_back(name.substr(prefix.size()), array);
  return out;
}

const io::Array& find_array(const io::NamedArrays& in, const std::string& name, const std::string& subject) {
  for (const auto& [n, array] : in)
    if (n == name) return array;
  fail(subject, "holds no tensor '{}'", name);
}

}  // namespace latentlab::train
