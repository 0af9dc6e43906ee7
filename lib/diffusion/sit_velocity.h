// A SiT as the samplers' velocity function (diffusion/sampler.h): the float64 state goes into the model as
// float32 on the model's device with t repeated per row, without gradients, and the prediction comes back as
// float64 on the state's device. The integration itself stays float64 (REPA-E samples the same way).
#pragma once

#include "diffusion/sampler.h"

namespace latentlab::models {
class SiT;
}

namespace latentlab::diffusion {

// `sit` must outlive the returned function.
VelocityFn sit_velocity(const models::SiT& sit);

}  // namespace latentlab::diffusion
