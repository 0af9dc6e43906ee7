#include "nn/group_norm.h"

#include "core/error.h"

namespace latentlab::nn {

torch::nn::GroupNorm group_norm_32(int64_t channels) {
  LATENTLAB_ASSERT(channels > 0 && channels % kGroupNormGroups == 0, "GroupNorm(32) over {} channels", channels);
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(kGroupNormGroups, channels).eps(kGroupNormEps).affine(true));
}

}  // namespace latentlab::nn
