#include "train/step_tail.h"

#include <torch/optim/optimizer.h>

#include "core/compat.h"
#include "distributed/gradient_sync.h"
#include "distributed/rank_share.h"
#include "train/grad_clip.h"

namespace latentlab::train {

double apply_schedule(torch::optim::Optimizer& optimizer, const LrSchedule& schedule, double base, int64_t step) {
  const double lr = schedule.learning_rate(base, step);
  compat::set_learning_rate(optimizer, lr);
  return lr;
}

std::optional<double> backward_and_step(torch::optim::Optimizer& optimizer, distributed::GradientSync* sync,
                                        const at::Tensor& loss, const std::vector<at::Tensor>& parameters,
                                        double grad_clip) {
  optimizer.zero_grad();
  if (sync) sync->prepare();
  loss.backward();
  if (sync) sync->finish();  // .grad = the mean over ranks = the global batch's gradient
  at::Tensor norm;
  if (grad_clip > 0) norm = clip_grad_norm(parameters, grad_clip);
  optimizer.step();
  // Read back only now, with the optimiser's kernels queued: reading it before would stall the device.
  if (!norm.defined()) return std::nullopt;
  return norm.item<double>();
}

void average_terms(distributed::Communicator& communicator, LossTerms& terms) {
  std::vector<double> values;
  for (const auto& term : terms) values.push_back(term.second);
  distributed::average_values(communicator, values);
  for (size_t i = 0; i < terms.size(); ++i) terms[i].second = values[i];
}

}  // namespace latentlab::train
