// Decode + ADM center crop to 256 of a folder of JPEGs: latentlab's ImageFolder + Pipeline (all cores)
// against a PIL + numpy loader (guided-diffusion's center_crop_arr) on as many worker processes, on the
// same files in the same run. The folder holds N ImageNet-sized (500 x 375) JPEGs made from the procedural
// shapes with added noise, written once to DIR (reused when present).
// Run: build/bin/bench_image_pipeline [N=2000] [DIR=/tmp/latentlab-bench-jpegs]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/allocator.h"
#include "core/runtime.h"
#include "datasets/pipeline.h"
#include "datasets/procedural/shapes.h"
#include "datasets/readers/image_folder.h"
#include "datasets/transforms/resize_crop.h"
#include "support/test_support.h"

using namespace latentlab;

namespace {

void make_jpegs(const std::string& dir, int n) {
  if (std::filesystem::exists(dir + "/done")) return;
  std::filesystem::create_directories(dir);
  datasets::ShapesOptions options;
  options.resolution = 256;
  options.size = n;
  const datasets::ShapesGenerator shapes(options);
  cv::RNG rng(1);
  for (int i = 0; i < n; ++i) {
    auto image = shapes.get(i).image;
    cv::Mat rgb(256, 256, CV_8UC3, image.pixels.data()), big, noise(375, 500, CV_8UC3);
    cv::resize(rgb, big, cv::Size(500, 375), 0, 0, cv::INTER_CUBIC);
    rng.fill(noise, cv::RNG::NORMAL, 0, 12);
    cv::add(big, noise, big);
    cv::cvtColor(big, big, cv::COLOR_RGB2BGR);
    cv::imwrite(fmt::format("{}/{:06d}.jpg", dir, i), big, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
  testing::write_bytes(dir + "/done", "");
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int n = argc > 1 ? std::stoi(argv[1]) : 2000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp/latentlab-bench-jpegs";
  make_jpegs(dir, n);
  const int cores = available_cores();

  const datasets::ImageFolder folder(dir);
  datasets::PipelineOptions options;
  options.batch_size = 64;
  options.threads = cores;
  const auto start = std::chrono::steady_clock::now();
  datasets::Pipeline pipeline(folder, options,
                              [](const datasets::Image& im) { return datasets::adm_center_crop(im, 256); });
  int64_t images = 0;
  while (auto batch = pipeline.next()) images += batch->images.size(0);
  const double ours = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto peer = testing::run_command(fmt::format("{} {}/tests/bench/pil_loader_bench.py {} 256 {}",
                                                     LATENTLAB_REFERENCE_PYTHON, LATENTLAB_SOURCE_DIR, dir, cores));
  if (peer.exit_code != 0) {
    std::fprintf(stderr, "PIL peer failed:\n%s\n", peer.err.c_str());
    return 1;
  }
  const std::string last = peer.out.substr(peer.out.find_last_of('\n', peer.out.size() - 2) + 1);
  const double theirs = std::stod(last);
  std::printf("%lld JPEGs 500x375 -> ADM center crop 256, %d cores\n", static_cast<long long>(images), cores);
  std::printf("PIL + numpy, %d processes (peer)   %.2f s   %.0f img/s\n", cores, theirs, n / theirs);
  std::printf("latentlab ImageFolder + Pipeline    %.2f s   %.0f img/s   %.2fx the peer\n", ours, images / ours,
              theirs / ours);
  return 0;
}
