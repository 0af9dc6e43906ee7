// The streaming interface of reconstruction metrics, which compare image pairs (metrics/metric.h's Metric
// takes one feature matrix; these take originals and reconstructions together):
//
//   metric.update(originals, reconstructions)  // uint8 (N, 3, H, W) each, same shape, any device; any number
//                                              // of calls with any batch sizes
//   metric.merge(other)                        // appends another instance's pairs (shards, threads); `other`
//                                              // must be the same metric with the same options (else UserError)
//   metric.finalize()                          // JSON object of the metric's result keys
//
// Every reconstruction metric is a per-image value averaged over images. Each keeps its per-image values
// (8 bytes per image) and sums them in row order in finalize(), so results do not depend on batch sizes or
// on how shards were merged, bit for bit. Merge order is row order, as for Metric.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

class PairedMetric {
 public:
  virtual ~PairedMetric() = default;
  virtual std::string name() const = 0;  // "psnr", "ssim", "lpips"
  virtual void update(const at::Tensor& originals, const at::Tensor& reconstructions) = 0;
  virtual void merge(const PairedMetric& other) = 0;
  virtual nlohmann::json finalize() const = 0;
};

// The shared body: per-image values in row order. Subclasses compute the values of one batch.
class PerImageMetric : public PairedMetric {
 public:
  void update(const at::Tensor& originals, const at::Tensor& reconstructions) override;
  void merge(const PairedMetric& other) override;
  const std::vector<double>& values() const { return values_; }
  // Appends values computed earlier (a shard's saved per-image values, `recon merge`), in row order.
  void add_values(const std::vector<double>& values) { values_.insert(values_.end(), values.begin(), values.end()); }

 protected:
  // (N) float64 CPU values of one batch of checked uint8 pairs.
  virtual at::Tensor compute(const at::Tensor& originals, const at::Tensor& reconstructions) const = 0;
  // The options that must match for a merge (compared as JSON).
  virtual nlohmann::json options() const { return nlohmann::json::object(); }
  // {"<name>": mean (null when there are no images), "<name>_count": N}
  nlohmann::json mean_json() const;

 private:
  std::vector<double> values_;
};

// Checks that both are (N, 3, H, W) uint8 of one shape; errors (UserError) name `subject`.
void check_image_pairs(const at::Tensor& originals, const at::Tensor& reconstructions, const std::string& subject);

}  // namespace latentlab::metrics
