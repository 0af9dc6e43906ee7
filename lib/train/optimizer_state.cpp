#include "train/optimizer_state.h"

#include <cstring>
#include <memory>
#include <vector>

#include <c10/util/Exception.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "core/error.h"

namespace latentlab::train {

io::Array optimizer_state_array(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  archive.save_to([&](const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    bytes->insert(bytes->end(), p, p + size);
    return size;
  });
  const auto n = static_cast<int64_t>(bytes->size());
  return io::Array::from_buffer(io::DType::U8, {n}, bytes);
}

void load_optimizer_state(torch::optim::Optimizer& optimizer, const io::Array& array, const std::string& subject) {
  if (array.dtype != io::DType::U8 || array.shape.size() != 1) fail(subject, "optimiser state is not a byte array");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(reinterpret_cast<const char*>(array.data), array.nbytes);
    optimizer.load(archive);
  } catch (const c10::Error& e) {
    fail(subject, "cannot restore the optimiser state ({})", e.what_without_backtrace());
  }
}

}  // namespace latentlab::train
