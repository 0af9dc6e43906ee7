// End-to-end FID on the CPU (issue #5: ≥ 1.5× the Python pipeline): `latentlab fid FOLDER REF.npz` against
// tests/bench/fid_e2e_bench.py, which does the same the way pytorch-fid does (DataLoader with PIL decode, TF-1.x
// bilinear resize to 299 as torch gathers, the same FID Inception in PyTorch eager, float64 np.cov, scipy sqrtm),
// measured in the same run with the same thread count, the same seeded random weights (pytorch-fid layout, from
// tests/integration/make_inception_weights.py) and the same folder of procedural PNGs (`datasets make shapes`,
// written once, untimed). The reference statistics are a random full-rank (mu, sigma) pytorch-fid .npz. Both sides
// are timed as whole processes (start-up, weights, decode, network, statistics, Fréchet distance), as a user
// runs them. Prints both wall times, the ratio peer/ours (> 1: faster) and both FIDs, which must agree within
// 1e-3 relative (scipy's sqrtm is the looser one when the folder holds fewer images than 2048 dimensions).
// Run: build/bin/bench_fid_e2e [images=5000] [threads=all cores] [res=64] [batch=50]
#include <chrono>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/allocator.h"
#include "core/compat.h"
#include "core/runtime.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/test_support.h"

using namespace latentlab;

namespace {

double seconds_of(const std::string& command, testing::CommandResult* result) {
  const auto start = std::chrono::steady_clock::now();
  *result = testing::run_command(command);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool failed(const testing::CommandResult& r, const char* what) {
  if (r.exit_code == 0) return false;
  std::fprintf(stderr, "%s failed (exit %d):\n%s%s", what, r.exit_code, r.out.c_str(), r.err.c_str());
  return true;
}

// A full-rank reference: mu ~ N(0, 0.1²), sigma = B·Bᵀ/k with k = 2d columns.
void write_reference(const std::string& path) {
  at::manual_seed(3);
  const int64_t d = 2048;
  const at::Tensor b = at::randn({d, 2 * d}) * 0.3;
  const at::Tensor sigma = (b.mm(b.t()) / (2 * d)).to(at::kDouble);
  const at::Tensor mu = (at::randn({d}) * 0.1).to(at::kDouble);
  io::write_npz(path, {{"mu", io::to_array(mu, "mu")}, {"sigma", io::to_array((sigma + sigma.t()) / 2, "sigma")}},
                false);
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t count = argc > 1 ? std::stoll(argv[1]) : 5000;
  const int threads = argc > 2 ? std::stoi(argv[2]) : available_cores();
  const int res = argc > 3 ? std::stoi(argv[3]) : 64;
  const int batch = argc > 4 ? std::stoi(argv[4]) : 50;
  const std::string python = LATENTLAB_REFERENCE_PYTHON, source = LATENTLAB_SOURCE_DIR;

  testing::ScratchDir dir;
  testing::CommandResult r;
  r = testing::run_command(python + " " + source + "/tests/integration/make_inception_weights.py " + dir.file("w.pth"));
  if (failed(r, "make_inception_weights.py")) return 1;
  r = testing::run_command(std::string(LATENTLAB_BINARY) + " datasets make shapes --quiet --n " +
                           std::to_string(count) + " --res " + std::to_string(res) + " --seed 1 --out " +
                           dir.file("images"));
  if (failed(r, "datasets make shapes")) return 1;
  write_reference(dir.file("ref.npz"));

  const std::string t = std::to_string(threads), b = std::to_string(batch);
  const double ours =
      seconds_of(std::string(LATENTLAB_BINARY) + " fid " + dir.file("images") + " " + dir.file("ref.npz") +
                     " --extractor-weights " + dir.file("w.pth") + " --extractor-batch-size " + b + " --batch-size " +
                     b + " --threads " + t + " --quiet --out " + dir.file("ours.json"),
                 &r);
  if (failed(r, "latentlab fid")) return 1;
  const double fid_ours = nlohmann::json::parse(testing::read_text(dir.file("ours.json")))["results"]["fid"];
  // Said at once: at 5,000 images on a busy machine the peer takes as long again.
  std::printf("latentlab fid: %.2f s (FID %.9g); running the Python peer\n", ours, fid_ours);
  std::fflush(stdout);
  const double peer = seconds_of(python + " " + source + "/tests/bench/fid_e2e_bench.py " + dir.file("w.pth") + " " +
                                     dir.file("images") + " " + dir.file("ref.npz") + " " + t + " " + b,
                                 &r);
  if (failed(r, "fid_e2e_bench.py")) return 1;
  const auto value = [&](const std::string& key) {
    const auto at = r.out.find(key + ": ");
    return at == std::string::npos ? -1.0 : std::stod(r.out.substr(at + key.size() + 2));
  };
  const double fid_peer = value("fid");
  const double relative = std::abs(fid_ours - fid_peer) / std::abs(fid_peer);

  std::printf(
      "End-to-end FID, %lld PNGs %dx%d (procedural shapes) vs reference (mu, sigma), batch %d, %d threads, "
      "LibTorch %s\n",
      static_cast<long long>(count), res, res, batch, threads, compat::torch_version().c_str());
  std::printf("  latentlab fid          %8.2f s   %7.2f images/s\n", ours, count / ours);
  std::printf("  python pipeline        %8.2f s   %7.2f images/s  (network %.2f s, stats %.2f s, sqrtm %.2f s)\n", peer,
              count / peer, value("network_seconds"), value("stats_seconds"), value("sqrtm_seconds"));
  std::printf("  ratio peer/ours        %8.3f   (FID %.9g vs %.9g, relative difference %.2g)\n", peer / ours, fid_ours,
              fid_peer, relative);
  return relative < 1e-3 ? 0 : 1;
}
