// Loading weights: latentlab's readers against LibTorch's own zip-pickle loader on the same tensors.
// Writes a state dict of `--megabytes` float32 (ViT-like shapes) as a torch.save zip file (through
// torch::pickle_save, which writes the same format) and as safetensors, then times, best of 3:
//   peer      torch::pickle_load of the .pth bytes (LibTorch 1.13's reader; needs the whole file in memory)
//   pth       io::read_pth of the same file (our pickle reader + libzip) + io::to_tensor
//   safetensors  io::read_safetensors (memory map, zero copy) + io::to_tensor + a checksum pass that
//             touches every byte, so the lazily mapped pages are really read
// and prints each time and its ratio to the peer. Run: build/bin/bench_weights_load [megabytes]
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include <ATen/ATen.h>
#include <c10/util/irange.h>
#include <torch/serialize.h>

#include "core/allocator.h"
#include "io/mapped_file.h"
#include "io/pth.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "support/test_support.h"

using namespace latentlab;

namespace {

double best_of_3(const std::function<void()>& run) {
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

double touch(const at::Tensor& t) {
  return t.sum().item<double>();
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t megabytes = argc > 1 ? std::stoll(argv[1]) : 300;
  const int64_t width = 768, blocks = std::max<int64_t>(1, megabytes * 1024 * 1024 / (4 * 12 * width * width));
  c10::Dict<std::string, at::Tensor> state;
  io::NamedArrays arrays;
  for (int64_t b = 0; b < blocks; ++b) {
    for (const auto& [name, shape] :
         std::vector<std::pair<std::string, std::vector<int64_t>>>{{"attn.qkv.weight", {3 * width, width}},
                                                                   {"attn.qkv.bias", {3 * width}},
                                                                   {"attn.proj.weight", {width, width}},
                                                                   {"mlp.fc1.weight", {4 * width, width}},
                                                                   {"mlp.fc2.weight", {width, 4 * width}},
                                                                   {"norm.weight", {width}}}) {
      const std::string full = "blocks." + std::to_string(b) + "." + name;
      auto t = at::randn(shape);
      state.insert(full, t);
      arrays.emplace_back(full, io::to_array(t, full));
    }
  }
  testing::ScratchDir dir;
  const std::string pth = dir.file("w.pth"), st = dir.file("w.safetensors");
  const auto bytes = torch::pickle_save(state);
  testing::write_bytes(pth, std::string(bytes.begin(), bytes.end()));
  io::write_safetensors(st, arrays);
  std::printf("state dict: %lld blocks, %.0f MB float32\n", static_cast<long long>(blocks), bytes.size() / 1e6);

  double sink = 0;
  const double peer = best_of_3([&] {
    const auto file = io::read_file(pth);
    auto value = torch::pickle_load(std::vector<char>(file.begin(), file.end()));
    for (const auto& item : value.toGenericDict()) sink += touch(item.value().toTensor());
  });
  const double ours_pth = best_of_3([&] {
    for (const auto& [name, array] : io::read_pth(pth)) sink += touch(io::to_tensor(array));
  });
  const double ours_st = best_of_3([&] {
    for (const auto& [name, array] : io::read_safetensors(st).arrays) sink += touch(io::to_tensor(array));
  });
  std::printf("torch::pickle_load (peer)   %.3f s\n", peer);
  std::printf("latentlab read_pth          %.3f s   %.2fx the peer's speed\n", ours_pth, peer / ours_pth);
  std::printf("latentlab read_safetensors  %.3f s   %.2fx the peer's speed\n", ours_st, peer / ours_st);
  std::printf("(checksum %g)\n", sink);
  return 0;
}
