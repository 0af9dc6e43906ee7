// The one interface every streaming metric implements (DESIGN.md "One interface per role"):
//
//   metric.update(features)   // (B, D) floating features of one batch, any device; may be called any number
//                             // of times, with any batch sizes (results do not depend on them)
//   metric.merge(other)       // adds another instance's data: shards, threads, processes. `other` must be
//                             // the same concrete metric with the same configuration (else UserError)
//   metric.finalize()         // JSON object of snake_case result keys (the kKey* constants of each metric)
//
// Metrics that compare against a reference (FID, KID, precision/recall) take it at construction and stream
// only the evaluated set; metrics whose definition needs every row (IS splits, KID subsets, k-NN manifolds)
// keep the rows and compute in finalize(). Merge order is row order: merging shard B into shard A gives the
// rows of A, then those of B, exactly as if the batches had been fed in that order.
//
// Each metric also has a pure function on whole tensors (inception_score(), kid(), ...), which is what the
// Metric calls and what tests check against references (STYLE.md: the public function gathers data, a pure
// function computes).
#pragma once

#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;  // registry name: "fid", "is", "kid", "pr"
  virtual void update(const at::Tensor& features) = 0;
  virtual void merge(const Metric& other) = 0;
  virtual nlohmann::json finalize() const = 0;
};

}  // namespace latentlab::metrics
