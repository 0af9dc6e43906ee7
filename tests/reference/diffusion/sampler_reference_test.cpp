// The samplers against REPA-E's loops written out in PyTorch (sampler_reference.py) on identical inputs: an
// analytic field, the same noise at t = 1 and the same SDE increments (drawn here from the per-sample
// generators and handed to Python). Three Euler steps and four Euler–Maruyama steps (three stochastic, the
// last the mean), guidance 2.5 on [0, 0.7] so that it switches on mid-run. The reference guides the SDE
// drift where we guide the velocity; the two agree because the drift is affine in v. Both sides compute in
// float64 with a different order of operations: agreement within 1e-12.
#include <gtest/gtest.h>

#include <iostream>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "diffusion/sampler.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::diffusion {
namespace {

TEST(SamplerReferenceTest, EulerAndEulerMaruyamaStepsMatchRepaE) {
  ASSERT_TRUE(latentlab::testing::reference_python_has("torch, numpy"));
  latentlab::testing::ScratchDir dir;
  constexpr int64_t n = 3, ode_steps = 3, sde_steps = 4;
  const double scale = 2.5, low = 0.0, high = 0.7;
  at::manual_seed(4);
  const at::Tensor x = at::randn({n, 2, 2, 2}, at::kDouble);
  const at::Tensor y = at::tensor(std::vector<int64_t>{0, 1, 0}, at::kLong);
  const at::Tensor table = at::randn({3, 2}, at::kDouble);  // classes 0, 1 and the null class 2
  const VelocityFn field = [&](const at::Tensor& state, double t, const at::Tensor& labels) {
    return -(1 - t) * state + t * table.index_select(0, labels).reshape({-1, 2, 1, 1});
  };
  std::vector<at::Generator> generators, copies;
  for (int64_t r = 0; r < n; ++r) {
    generators.push_back(at::make_generator<at::CPUGeneratorImpl>(100 + r));
    copies.push_back(at::make_generator<at::CPUGeneratorImpl>(100 + r));
  }
  std::vector<at::Tensor> noise;  // the increments sample() will draw: step by step, row by row
  for (int64_t i = 0; i + 1 < sde_steps; ++i) {
    std::vector<at::Tensor> rows;
    for (auto& g : copies) rows.push_back(at::randn({2, 2, 2}, g, at::kDouble));
    noise.push_back(at::stack(rows));
  }
  const at::Tensor params = at::tensor(std::vector<double>{ode_steps, sde_steps, scale, low, high}, at::kDouble);
  io::write_npz(dir.file("inputs.npz"),
                {{"x", io::to_array(x)},
                 {"y", io::to_array(y)},
                 {"table", io::to_array(table)},
                 {"noise", io::to_array(at::stack(noise))},
                 {"params", io::to_array(params)}},
                false);
  const auto made = latentlab::testing::run_reference_python("diffusion/sampler_reference.py", dir.path());
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  io::NpzReader expected(dir.file("expected.npz"));

  SamplerOptions o;
  o.null_class = 2;
  o.guidance = {scale, low, high};
  o.kind = "ode";
  o.steps = ode_steps;
  const at::Tensor ode = sample(field, x, y, o);
  o.kind = "sde";
  o.steps = sde_steps;
  const at::Tensor sde = sample(field, x, y, o, &generators);
  for (const auto& [name, got] : {std::pair{"ode", ode}, {"sde", sde}}) {
    const double diff = latentlab::testing::max_abs_diff(got, io::to_tensor(expected.read(name)));
    std::cout << "sampler reference: " << name << " max |C++ - PyTorch| = " << diff << "\n";
    EXPECT_LE(diff, 1e-12) << name;
  }
  EXPECT_FALSE(at::allclose(ode, sde));  // the two samplers do differ on these inputs
}

}  // namespace
}  // namespace latentlab::diffusion
