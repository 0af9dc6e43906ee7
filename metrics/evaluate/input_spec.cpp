#include "metrics/evaluate/input_spec.h"

#include <filesystem>

#include "core/error.h"
#include "io/npz.h"

namespace latentlab::metrics {

const char* metric_input_forms() {
  return "stats:FILE (latentlab, pytorch-fid or ADM reference statistics .npz), any dataset spec (images:DIR, "
         "npz:FILE, shapes:..., ...), or a bare path: a folder of images, an .npz with mu/sigma (statistics) or "
         "with arr_0 (an ADM sample batch)";
}

MetricInput parse_metric_input(const std::string& text, const std::string& subject) {
  if (text.empty()) fail_usage(subject, "is empty (accepted: {})", metric_input_forms());
  if (text.rfind("stats:", 0) == 0) {
    const std::string path = text.substr(6);
    if (path.empty()) fail_usage(subject, "'stats:' needs a file, e.g. stats:fid_stats.npz");
    return {MetricInput::Kind::Stats, path};
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(text);
  if (fs::is_directory(path, ec)) return {MetricInput::Kind::Images, "images:" + text};
  if (fs::is_regular_file(path, ec)) {
    if (path.extension() != ".npz")
      fail_usage(subject, "'{}' is a file but not an .npz (accepted: {})", text, metric_input_forms());
    const io::NpzReader npz(text);
    if (npz.contains("mu") && npz.contains("sigma")) return {MetricInput::Kind::Stats, text};
    if (npz.contains("arr_0")) return {MetricInput::Kind::Images, "npz:" + text};
    std::string keys;
    for (const auto& name : npz.names()) keys += (keys.empty() ? "" : ", ") + name;
    fail_usage(subject, "'{}' holds neither mu/sigma (statistics) nor arr_0 (images); its keys: {}", text,
               keys.empty() ? "none" : keys);
  }
  // Not a path on disk: a dataset spec when it has a scheme ("shapes:n=10"); open_dataset checks the rest.
  if (text.find(':') != std::string::npos) return {MetricInput::Kind::Images, text};
  fail_usage(subject, "'{}': no such file or directory (accepted: {})", text, metric_input_forms());
}

}  // namespace latentlab::metrics
