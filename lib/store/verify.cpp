#include "store/verify.h"

#include <cmath>
#include <numeric>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "store/reader.h"

namespace latentlab::store {

namespace {

int64_t count_nonfinite(const at::Tensor& x) {
  return at::logical_not(at::isfinite(x)).sum().item<int64_t>();
}

}  // namespace

VerifyReport verify_store(const std::string& path, int64_t batch_size) {
  StoreReader reader(path);
  const StoreInfo& info = reader.info();
  const StoreIdentity& id = info.header.identity;
  VerifyReport report;
  report.path = path;
  report.rows = info.header.rows;
  const int64_t per_row = id.latent_shape[1] * id.latent_shape[2];

  ChannelStatistics recomputed(id.latent_shape[0]);
  LoaderOptions options;
  options.batch_size = batch_size;
  options.prefetch = 1;
  LatentLoader loader(reader, options);
  while (auto batch = loader.next()) {
    report.rows_read += batch->mean.size(0);
    report.nonfinite += count_nonfinite(batch->mean) + count_nonfinite(batch->std);
    recomputed.update(batch->mean, batch->std);
    if (id.flip) {
      const auto flipped = reader.read(batch->rows, std::vector<uint8_t>(batch->rows.size(), 1));
      report.nonfinite += count_nonfinite(flipped.mean) + count_nonfinite(flipped.std);
    }
    if (id.has_teacher_tokens()) {
      report.nonfinite += count_nonfinite(reader.read_teacher_tokens(batch->rows));
      if (id.flip)
        report.nonfinite +=
            count_nonfinite(reader.read_teacher_tokens(batch->rows, std::vector<uint8_t>(batch->rows.size(), 1)));
    }
  }
  auto& problems = report.problems;
  if (report.rows_read != info.header.rows || info.rows_written != info.header.rows)
    problems.push_back(fmt::format("rows: attribute says {} written of {}, {} read", info.rows_written,
                                   info.header.rows, report.rows_read));
  if (report.nonfinite > 0) problems.push_back(fmt::format("{} latent values are NaN or Inf", report.nonfinite));
  const ChannelStatistics& stored = info.statistics;
  if (stored.count() != report.rows_read * per_row)
    problems.push_back(
        fmt::format("statistics count {} != rows x h x w = {}", stored.count(), report.rows_read * per_row));

  // Compare each statistic with a scale: the value itself plus the channel's spread.
  const auto spread = recomputed.channel_std();
  const auto compare = [&](const char* name, const std::vector<double>& s, const std::vector<double>& r,
                           bool mean_like) {
    for (size_t c = 0; c < r.size() && c < s.size(); ++c) {
      const double scale = std::abs(r[c]) + (mean_like ? spread[c] : 0.0) + 1e-300;
      const double error = std::isfinite(s[c]) ? std::abs(s[c] - r[c]) / scale : INFINITY;
      report.max_statistics_error = std::max(report.max_statistics_error, error);
      if (!(error <= kStatisticsTolerance))
        problems.push_back(fmt::format("{}[{}]: stored {:.17g}, recomputed {:.17g}", name, c, s[c], r[c]));
    }
  };
  compare("channel_mean", info.channel_mean, recomputed.channel_mean(), true);
  compare("channel_std", info.channel_std, recomputed.channel_std(), false);
  compare("stats_mean_m2", to_vector(stored.mean_moments().m2()), to_vector(recomputed.mean_moments().m2()), false);
  compare("stats_var_mean", to_vector(stored.variance_moments().mean()),
          to_vector(recomputed.variance_moments().mean()), false);
  return report;
}

nlohmann::json to_json(const VerifyReport& r) {
  return {{"path", r.path},
          {"rows", r.rows},
          {"rows_read", r.rows_read},
          {"nonfinite", r.nonfinite},
          {"max_statistics_error", r.max_statistics_error},
          {"tolerance", kStatisticsTolerance},
          {"problems", r.problems},
          {"ok", r.ok()}};
}

}  // namespace latentlab::store
