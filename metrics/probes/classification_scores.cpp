#include "metrics/probes/classification_scores.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<size_t> order_descending(const std::vector<double>& score) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  return order;
}
}  // namespace

MulticlassScores multiclass_scores(const at::Tensor& scores, const std::vector<int32_t>& labels,
                                   const std::vector<int>& top_k) {
  LATENTLAB_ASSERT(scores.dim() == 2 && scores.size(0) == static_cast<int64_t>(labels.size()), "scores shape");
  const auto s = scores.to(at::kCPU, at::kDouble).contiguous();
  const int64_t n = s.size(0), c = s.size(1);
  const double* p = s.data_ptr<double>();
  MulticlassScores r;
  std::vector<int64_t> tp(c, 0), predicted(c, 0), actual(c, 0);
  std::vector<int64_t> hits(top_k.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    const double* row = p + i * c;
    const int32_t y = labels[i];
    int64_t best = 0;
    for (int64_t k = 1; k < c; ++k)
      if (row[k] > row[best]) best = k;
    ++predicted[best];
    if (y >= 0) ++actual[y];
    if (best == y) ++tp[best];
    // Rank of the true class: classes scoring higher, or equal with a larger index (sklearn's
    // top_k_accuracy_score takes a reversed stable argsort).
    int64_t rank = 0;
    if (y >= 0)
      for (int64_t k = 0; k < c; ++k) rank += row[k] > row[y] || (row[k] == row[y] && k > y);
    for (size_t t = 0; t < top_k.size(); ++t) hits[t] += y >= 0 && rank < top_k[t];
  }
  int64_t correct = std::accumulate(tp.begin(), tp.end(), int64_t{0});
  r.accuracy = n ? static_cast<double>(correct) / n : kNaN;
  r.micro_f1 = r.accuracy;  // single-label: micro precision = micro recall = accuracy
  double f1_sum = 0, recall_sum = 0;
  int f1_classes = 0, recall_classes = 0;
  for (int64_t k = 0; k < c; ++k) {
    const int64_t denom = predicted[k] + actual[k];
    const double f1 = denom ? 2.0 * tp[k] / denom : 0.0;
    r.per_class_f1.push_back(f1);
    if (denom) {
      f1_sum += f1;
      ++f1_classes;
    }
    r.per_class_recall.push_back(actual[k] ? static_cast<double>(tp[k]) / actual[k] : kNaN);
    if (actual[k]) {
      recall_sum += r.per_class_recall.back();
      ++recall_classes;
    }
  }
  r.macro_f1 = f1_classes ? f1_sum / f1_classes : 0.0;
  r.balanced_accuracy = recall_classes ? recall_sum / recall_classes : kNaN;
  r.top_k = top_k;
  for (size_t t = 0; t < top_k.size(); ++t) r.top_k_accuracy.push_back(n ? static_cast<double>(hits[t]) / n : kNaN);
  return r;
}

double BinaryCounts::f1() const {
  const int64_t denom = 2 * tp + fp + fn;
  return denom ? 2.0 * tp / denom : 0.0;
}

double BinaryCounts::balanced_accuracy() const {
  double sum = 0;
  int classes = 0;
  if (tp + fn) sum += static_cast<double>(tp) / (tp + fn), ++classes;
  if (tn + fp) sum += static_cast<double>(tn) / (tn + fp), ++classes;
  return classes ? sum / classes : kNaN;
}

double BinaryCounts::accuracy() const {
  const int64_t n = tp + fp + fn + tn;
  return n ? static_cast<double>(tp + tn) / n : kNaN;
}

BinaryCounts binary_counts(const std::vector<double>& score, const std::vector<uint8_t>& truth, double threshold) {
  BinaryCounts c;
  for (size_t i = 0; i < score.size(); ++i) {
    const bool pred = score[i] >= threshold;
    if (truth[i])
      (pred ? c.tp : c.fn)++;
    else
      (pred ? c.fp : c.tn)++;
  }
  return c;
}

double roc_auc(const std::vector<double>& score, const std::vector<uint8_t>& truth) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double positive_rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && score[order[j]] == score[order[i]]) ++j;
    const double rank = 0.5 * (i + 1 + j);  // average 1-based rank of the tie group
    for (size_t t = i; t < j; ++t)
      if (truth[order[t]]) positive_rank_sum += rank, ++positives;
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(score.size()) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  return (positive_rank_sum - 0.5 * positives * (positives + 1)) / (static_cast<double>(positives) * negatives);
}

double average_precision(const std::vector<double>& score, const std::vector<uint8_t>& truth) {
  const auto order = order_descending(score);
  int64_t positives = 0;
  for (auto t : truth) positives += t != 0;
  if (positives == 0) return kNaN;
  double ap = 0, previous_recall = 0;
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    for (; j < order.size() && score[order[j]] == score[order[i]]; ++j) (truth[order[j]] ? tp : fp)++;
    const double recall = static_cast<double>(tp) / positives;
    ap += (recall - previous_recall) * (static_cast<double>(tp) / (tp + fp));
    previous_recall = recall;
    i = j;
  }
  return ap;
}

double best_f1_threshold(const std::vector<double>& score, const std::vector<uint8_t>& truth) {
  const auto order = order_descending(score);
  int64_t positives = 0;
  for (auto t : truth) positives += t != 0;
  if (positives == 0) return 0.5;
  double best_f1 = -1, best_threshold = 0.5;
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    for (; j < order.size() && score[order[j]] == score[order[i]]; ++j) (truth[order[j]] ? tp : fp)++;
    const double f1 = 2.0 * tp / (tp + fp + positives);
    if (f1 > best_f1) best_f1 = f1, best_threshold = score[order[i]];
    i = j;
  }
  return best_threshold;
}

}  // namespace latentlab::metrics
