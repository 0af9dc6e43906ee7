#include "datasets/export.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"

namespace fs = std::filesystem;

namespace latentlab::datasets {
namespace {

nlohmann::json describe(const DatasetInfo& info) {
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& f : info.attributes) attributes.push_back({{"name", f.name}, {"values", f.values}});
  return {{"spec", info.spec},
          {"description", info.description},
          {"size", info.size},
          {"class_names", info.class_names},
          {"attributes", attributes}};
}

void write_png(const std::string& path, const Image& image) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data())), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) fail(path, "cannot write PNG");
}

}  // namespace

ExportResult export_images(const ImageSource& source, const std::string& dir, int threads) {
  const DatasetInfo& info = source.info();
  if (fs::exists(dir)) {
    const std::string manifest = dir + "/dataset.json";
    if (fs::exists(manifest)) {
      const auto bytes = io::read_file(manifest);
      const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
      if (doc.is_object() && doc.value("spec", "") == info.spec) return {info.size, true};
      fail(dir, "already holds another dataset ({}); remove it or choose another --out",
           doc.is_object() ? doc.value("spec", "?") : "unreadable dataset.json");
    }
    fail(dir, "exists and is not a latentlab dataset folder");
  }
  const std::string partial = fmt::format("{}.partial-{}", dir, getpid());
  fs::remove_all(partial);
  fs::create_directories(partial + "/images");
  const int digits = std::max<int>(6, static_cast<int>(std::to_string(std::max<int64_t>(info.size - 1, 0)).size()));
  auto name_of = [&](int64_t i) { return fmt::format("{:0{}}.png", i, digits); };

  std::vector<std::vector<int32_t>> attributes(static_cast<size_t>(info.size));
  std::vector<int64_t> labels(static_cast<size_t>(info.size));
  std::atomic<int64_t> next{0};
  std::mutex progress_mutex;
  std::exception_ptr error;
  ProgressBar bar("export", info.size, "img");
  auto work = [&] {
    try {
      for (int64_t i; (i = next++) < info.size && !error;) {
        Example example = source.get(i);
        write_png(partial + "/images/" + name_of(i), example.image);
        attributes[i] = std::move(example.attributes);
        labels[i] = example.label;
        std::lock_guard<std::mutex> lock(progress_mutex);
        bar.advance();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  const int n = threads > 0 ? threads : available_cores();
  for (int t = 0; t < n; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (error) {
    fs::remove_all(partial);
    std::rethrow_exception(error);
  }
  bar.finish();

  std::string csv = "filename,label";
  for (const auto& f : info.attributes) csv += "," + f.name;
  csv += "\n";
  for (int64_t i = 0; i < info.size; ++i) {
    csv += fmt::format("images/{},{}", name_of(i), labels[i]);
    for (int32_t v : attributes[i]) csv += fmt::format(",{}", v);
    csv += "\n";
  }
  io::write_file_atomic(partial + "/attributes.csv", csv);
  io::write_file_atomic(partial + "/dataset.json", describe(info).dump(2) + "\n");
  fs::rename(partial, dir);
  return {info.size, false};
}

}  // namespace latentlab::datasets
