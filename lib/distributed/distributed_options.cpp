#include "distributed/communicator.h"

#ifdef LATENTLAB_WITH_BOOST
#include "core/options.h"
#endif

namespace latentlab::distributed {

#ifdef LATENTLAB_WITH_BOOST
void DistributedOptions::register_options(OptionGroup& group) {
  group.add_choice("dist-backend", &backend, {"auto", "gloo", "nccl"},
                   "collectives when launched with WORLD_SIZE > 1: gloo (CPU), nccl (GPU builds), auto");
  group.add("dist-timeout", &timeout_s,
            "seconds a rank waits for the others (rendezvous, every collective, rank 0's checkpoint write) "
            "before the job stops with an error");
}
#endif

}  // namespace latentlab::distributed
