#include "metrics/disentanglement/codes.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {

at::Tensor codes_matrix(const at::Tensor& codes, const std::string& subject, int64_t min_rows) {
  if (!codes.defined() || codes.dim() != 2)
    fail(subject, "codes must be a 2-D (examples, codes) matrix, got {} dimensions", codes.defined() ? codes.dim() : 0);
  if (!at::isFloatingType(codes.scalar_type()) && !at::isIntegralType(codes.scalar_type(), false))
    fail(subject, "codes must be numbers");
  if (codes.size(0) < min_rows) fail(subject, "needs at least {} examples, got {}", min_rows, codes.size(0));
  if (codes.size(1) < 1) fail(subject, "codes have no columns");
  auto out = codes.to(at::kCPU, at::kDouble).contiguous();
  if (!at::isfinite(out).all().item<bool>()) fail(subject, "codes contain NaN or infinite values");
  return out;
}

std::vector<std::vector<int64_t>> factor_columns(const at::Tensor& factors, int64_t rows, const std::string& subject) {
  if (!factors.defined() || factors.dim() != 2)
    fail(subject, "factors must be a 2-D (examples, factors) matrix, got {} dimensions",
         factors.defined() ? factors.dim() : 0);
  if (!at::isIntegralType(factors.scalar_type(), false)) fail(subject, "factors must be integers");
  if (factors.size(0) != rows) fail(subject, "factors have {} rows but the codes have {}", factors.size(0), rows);
  if (factors.size(1) < 1) fail(subject, "no factors");
  const auto f = factors.to(at::kCPU, at::kLong).t().contiguous();
  std::vector<std::vector<int64_t>> columns(f.size(0));
  const int64_t* p = f.data_ptr<int64_t>();
  for (int64_t k = 0; k < f.size(0); ++k) columns[k].assign(p + k * rows, p + (k + 1) * rows);
  return columns;
}

TrainTestCodes train_test_codes(const at::Tensor& codes_train, const at::Tensor& factors_train,
                                const at::Tensor& codes_test, const at::Tensor& factors_test) {
  TrainTestCodes out;
  out.z_train = codes_matrix(codes_train, "codes (train)");
  out.z_test = codes_matrix(codes_test, "codes (test)", 1);
  if (out.z_test.size(1) != out.z_train.size(1))
    fail("codes (test)", "has {} codes but the training codes have {}", out.z_test.size(1), out.z_train.size(1));
  out.f_train = factor_columns(factors_train, out.z_train.size(0), "factors (train)");
  out.f_test = factor_columns(factors_test, out.z_test.size(0), "factors (test)");
  if (out.f_test.size() != out.f_train.size())
    fail("factors (test)", "has {} factors but the training factors have {}", out.f_test.size(), out.f_train.size());
  return out;
}

DenseLabels dense_labels(const std::vector<int64_t>& values) {
  DenseLabels out;
  out.classes = values;
  std::sort(out.classes.begin(), out.classes.end());
  out.classes.erase(std::unique(out.classes.begin(), out.classes.end()), out.classes.end());
  out.ids = map_labels(values, out.classes);
  return out;
}

std::vector<int32_t> map_labels(const std::vector<int64_t>& values, const std::vector<int64_t>& classes) {
  std::vector<int32_t> ids(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto it = std::lower_bound(classes.begin(), classes.end(), values[i]);
    ids[i] = (it != classes.end() && *it == values[i]) ? static_cast<int32_t>(it - classes.begin()) : -1;
  }
  return ids;
}

std::vector<double> code_column(const at::Tensor& codes, int64_t j) {
  LATENTLAB_ASSERT(codes.scalar_type() == at::kDouble && codes.is_contiguous() && codes.dim() == 2, "codes layout");
  const int64_t n = codes.size(0), d = codes.size(1);
  const double* p = codes.data_ptr<double>();
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = p[i * d + j];
  return out;
}

}  // namespace latentlab::metrics
