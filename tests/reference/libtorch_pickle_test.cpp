// Files written by LibTorch's own C++ serialiser (torch::pickle_save: the zip format of torch.save, with
// typed containers wrapped in torch.jit._pickle.restore_type_tag) read back with the same values.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/serialize.h>

#include "io/pth.h"
#include "io/tensor_convert.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

TEST(LibTorchPickle, StateDictFromPickleSaveReadsBack) {
  at::manual_seed(5);
  c10::Dict<std::string, at::Tensor> state;
  state.insert("conv.weight", at::randn({8, 3, 3, 3}));
  state.insert("norm.bias", at::randn({8}).to(at::kHalf));
  state.insert("steps", at::arange(6, at::kLong).view({2, 3}).t());  // a transposed view
  testing::ScratchDir dir;
  const auto bytes = torch::pickle_save(state);
  testing::write_bytes(dir.file("w.pt"), std::string(bytes.begin(), bytes.end()));

  const auto arrays = read_pth(dir.file("w.pt"));
  ASSERT_EQ(arrays.size(), 3u);
  for (const auto& [name, array] : arrays) {
    const at::Tensor expected = state.at(name);
    const at::Tensor got = to_tensor(array);
    EXPECT_EQ(got.scalar_type(), expected.scalar_type()) << name;
    EXPECT_TRUE(at::equal(got, expected)) << name;
  }
}

}  // namespace
}  // namespace latentlab::io
