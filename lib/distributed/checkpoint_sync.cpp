#include "distributed/checkpoint_sync.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "distributed/communicator.h"

namespace latentlab::distributed {

void write_on_rank0(Communicator& communicator, const std::string& what, const std::function<void()>& write) {
  if (!communicator.distributed() || communicator.lost()) {
    if (communicator.is_main()) write();
    return;
  }
  std::exception_ptr error;
  if (communicator.is_main()) {
    try {
      write();
    } catch (...) {
      error = std::current_exception();
    }
  }
  at::Tensor failed = at::full({1}, error ? 1 : 0, at::TensorOptions(at::kInt).device(communicator.device()));
  communicator.broadcast(failed, 0);
  if (error) std::rethrow_exception(error);
  if (failed.item<int>() != 0)
    fail("distributed", "rank {}: rank 0 could not write the checkpoint {}; stopping", communicator.rank(), what);
  communicator.barrier("after writing " + what);
}

}  // namespace latentlab::distributed
