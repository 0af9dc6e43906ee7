// Checkpoints in a data-parallel job: rank 0 writes, every rank resumes from the same file.
//
//   write_on_rank0(comm, path, [&] { save_checkpoint(path, ...); });   // save_checkpoint writes atomically
//   ...
//   const int64_t step = load_checkpoint(path, ...);                    // every rank reads the same file
//   require_identical(comm, step, parameters, path);                    // module_sync.h
//
// write_on_rank0 runs `write` on rank 0 only (it must write atomically: io::AtomicFile or the safetensors
// writer, temporary name + rename), then broadcasts whether it succeeded and waits at a barrier. So no rank
// goes on before the file is complete, and a failed write stops every rank with one line instead of
// leaving the others waiting. The other ranks wait at most the communicator's timeout for the write.
// Once a rank was lost (Communicator::lost()), rank 0 writes alone and nobody waits: that is how a trainer's
// emergency checkpoint goes through its ordinary checkpoint writer (train/lost_rank.h).
#pragma once

#include <functional>
#include <string>

namespace latentlab::distributed {

class Communicator;

// `what` names the checkpoint (its path) in messages. Rethrows rank 0's exception there; throws UserError
// (subject "distributed") on the other ranks when rank 0's write failed.
void write_on_rank0(Communicator& communicator, const std::string& what, const std::function<void()>& write);

}  // namespace latentlab::distributed
