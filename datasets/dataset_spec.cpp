#include "datasets/dataset_spec.h"

#include <map>
#include <sstream>

#include "core/error.h"
#include "datasets/readers/celeba_reader.h"
#include "datasets/readers/cifar10_reader.h"
#include "datasets/readers/idx_reader.h"
#include "datasets/readers/image_folder.h"
#include "datasets/readers/npz_images.h"
#ifdef LATENTLAB_WITH_OPENCV
#include "datasets/procedural/shapes.h"
#endif

namespace latentlab::datasets {
namespace {

std::map<std::string, std::string> parse_keys(const std::string& spec, const std::string& text) {
  std::map<std::string, std::string> keys;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) fail_usage(spec, "empty item in '{}'", text);
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq), value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (!keys.emplace(key, value).second) fail_usage(spec, "'{}' is given twice", key);
  }
  return keys;
}

// Only the procedural specs take integers: unused in a build without OpenCV.
[[maybe_unused]] int64_t integer(const std::string& spec, const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    const int64_t v = std::stoll(value, &used);
    if (used == value.size()) return v;
  } catch (const std::exception&) {
  }
  fail_usage(spec, "'{}={}' is not an integer", key, value);
}

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// "PATH,key=value,..." -> PATH and the value of the one accepted key (`fallback` when absent).
std::pair<std::string, std::string> path_and_key(const std::string& spec, const std::string& text,
                                                 const std::string& known, const std::string& fallback) {
  const auto comma = text.find(',');
  std::string chosen = fallback;
  if (comma != std::string::npos) {
    const auto keys = parse_keys(spec, text.substr(comma + 1));
    for (const auto& [key, value] : keys) {
      if (key != known) fail_usage(spec, "unknown key '{}' (known: {})", key, known);
      chosen = value;
    }
  }
  return {text.substr(0, comma), chosen};
}

// "DIR,split=train" -> DIR and the split (default train).
std::pair<std::string, std::string> path_and_split(const std::string& spec, const std::string& text) {
  return path_and_key(spec, text, "split", "train");
}

}  // namespace

const char* dataset_spec_forms() {
  return "shapes[:seed=S,n=N,res=R,grid], dsprites[:seed=S,n=N,grid], fashion-mnist[:split=train|test], "
         "idx:PREFIX, cifar10:DIR[,split=train|test], images:DIR[,attributes=FILE.csv], "
         "celeba:DIR[,split=train|val|test|all], npz:FILE";
}

std::unique_ptr<ImageSource> open_dataset(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "shapes" || kind == "dsprites") {
#ifdef LATENTLAB_WITH_OPENCV
    ShapesOptions options;
    options.preset = kind;
    for (const auto& [key, value] : parse_keys(spec, rest)) {
      if (key == "seed")
        options.seed = integer(spec, key, value);
      else if (key == "n")
        options.size = integer(spec, key, value);
      else if (key == "res")
        options.resolution = static_cast<int>(integer(spec, key, value));
      else if (key == "grid") {
        if (value != "" && value != "true" && value != "false") fail_usage(spec, "grid takes true or false");
        options.grid = value != "false";
      } else {
        fail_usage(spec, "unknown key '{}' (known: seed, n, res, grid)", key);
      }
    }
    try {
      return std::make_unique<ShapesGenerator>(options);
    } catch (const UserError& e) {  // the generator names its options as flags: name the spec key instead
      const std::string key = e.subject().rfind("--", 0) == 0 ? e.subject().substr(2) : e.subject();
      fail_usage(spec, "{}: {}", key == "n" || key == "res" || key == "seed" ? key : e.subject(), e.problem());
    }
#else
    fail_usage(spec, "procedural datasets need OpenCV, which this build lacks");
#endif
  }
  if (kind == "fashion-mnist") {  // Debian's dataset-fashion-mnist: the embedded labelled image set
    std::string split = "train";
    for (const auto& [key, value] : parse_keys(spec, rest)) {
      if (key != "split") fail_usage(spec, "unknown key '{}' (known: split)", key);
      split = value;
    }
    return IdxReader::open(kFashionMnistDir, split);
  }
  if (kind == "idx") {
    if (rest.empty()) fail_usage(spec, "idx needs a path prefix, e.g. idx:/data/mnist/train");
    return IdxReader::open(rest);
  }
  if (kind == "cifar10") {
    const auto [dir, split] = path_and_split(spec, rest);
    if (dir.empty()) fail_usage(spec, "cifar10 needs the cifar-10-batches-bin folder");
    return std::make_unique<Cifar10Reader>(dir, split);
  }
  if (kind == "images") {
    const auto [dir, csv] = path_and_key(spec, rest, "attributes", "");
    if (dir.empty()) fail_usage(spec, "images needs a folder, e.g. images:/data/imagenet/train");
    return std::make_unique<ImageFolder>(dir, csv);
  }
  if (kind == "celeba") {
    const auto [dir, split] = path_and_split(spec, rest);
    if (dir.empty()) fail_usage(spec, "celeba needs the folder holding img_align_celeba/ and the list files");
    return std::make_unique<CelebaReader>(dir, split);
  }
  if (kind == "npz") {  // the whole rest is the path: no keys, so a comma in a file name needs no escaping
    if (rest.empty()) fail_usage(spec, "npz needs a file, e.g. npz:samples.npz");
    return std::make_unique<NpzImages>(rest);
  }
  fail_usage(spec, "unknown dataset kind '{}' (known: {})", kind, dataset_spec_forms());
}

}  // namespace latentlab::datasets
