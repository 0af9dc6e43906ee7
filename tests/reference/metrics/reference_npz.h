// The reference tests of metrics compare against arrays that a python script in tests/reference/ writes to
// one .npz file, the script's only argument. run_reference_npz runs the script in a fresh scratch directory
// and opens that file; ReferenceNpz reads its arrays as tensors.
#pragma once
#ifdef LATENTLAB_WITH_ZIP  // the references arrive as .npz files

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/test_support.h"

namespace latentlab::testing {

struct ReferenceNpz {
  ScratchDir dir;
  std::unique_ptr<io::NpzReader> npz;

  at::Tensor get(const std::string& key) const { return io::to_tensor(npz->read(key)); }
  double scalar(const std::string& key) const { return get(key).item<double>(); }
};

// Runs tests/reference/<script> and opens what it wrote into `out`. A failing script is a fatal failure of the
// current test (wrap the call in ASSERT_NO_FATAL_FAILURE inside a test body) and leaves `out` empty.
inline void run_reference_npz(const std::string& script, std::unique_ptr<ReferenceNpz>& out) {
  auto ref = std::make_unique<ReferenceNpz>();
  const auto r = run_reference_python(script, ref->dir.file("ref.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ref->npz = std::make_unique<io::NpzReader>(ref->dir.file("ref.npz"));
  out = std::move(ref);
}

}  // namespace latentlab::testing

#endif  // LATENTLAB_WITH_ZIP
