// Inputs shared by every disentanglement score (../shared/docs/METRICS.md §11), stated once:
//   codes   (N, J): one representation vector per example, any floating dtype, any device. Scores copy it to
//                   a CPU float64 matrix; J is the number of codes ("latents").
//   factors (N, K): ground-truth factor values, any integer dtype (int64 preferred). Values need not be
//                   0-based or contiguous: each factor is mapped to dense class ids 0..C_k-1 in sorted order.
// Row n of both matrices describes the same example. Bad shapes, too few rows and non-finite codes are user
// errors naming `subject` (the option or file the caller got them from).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

// Codes as a contiguous CPU float64 (N, J) tensor; needs N >= min_rows and finite values.
at::Tensor codes_matrix(const at::Tensor& codes, const std::string& subject, int64_t min_rows = 2);

// One factor column per entry: the N values of factor k, as int64.
std::vector<std::vector<int64_t>> factor_columns(const at::Tensor& factors, int64_t rows, const std::string& subject);

// Dense class ids of `values`: the index of each value among the sorted distinct values.
struct DenseLabels {
  std::vector<int32_t> ids;
  std::vector<int64_t> classes;  // sorted distinct values; ids index into it
  int32_t num_classes() const { return static_cast<int32_t>(classes.size()); }
};
DenseLabels dense_labels(const std::vector<int64_t>& values);
// Ids of `values` in an existing class list; values not in it get id -1 (no classifier can predict them).
std::vector<int32_t> map_labels(const std::vector<int64_t>& values, const std::vector<int64_t>& classes);

// The four inputs of a train/test score, checked against each other: codes_matrix and factor_columns of each
// split (the test split may have a single row), with the same number of codes and of factors in both.
struct TrainTestCodes {
  at::Tensor z_train, z_test;                         // CPU float64 (N_train, J), (N_test, J)
  std::vector<std::vector<int64_t>> f_train, f_test;  // K columns of N_train, N_test values
};
TrainTestCodes train_test_codes(const at::Tensor& codes_train, const at::Tensor& factors_train,
                                const at::Tensor& codes_test, const at::Tensor& factors_test);

// Column j of a CPU float64 (N, J) matrix as a vector.
std::vector<double> code_column(const at::Tensor& codes, int64_t j);

}  // namespace latentlab::metrics
