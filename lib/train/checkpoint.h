// Training checkpoints: one safetensors file per checkpoint, DIR/step-NNNNNNN.safetensors, written atomically
// (io::write_safetensors goes through io::AtomicFile: a crash leaves the previous checkpoint intact and no
// partial file under the final name). Tensors carry every module, EMA shadow, optimiser (as bytes, see
// train/optimizer_state.h) and random-generator state (train/rng_state.h) under dotted prefixes ("vae.",
// "disc.", "ema.vae.", "optim.vae", "rng.cpu", …); the metadata key "latentlab.checkpoint" holds a JSON
// object with the step, the data position and whatever small values the trainer adds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "io/array.h"

namespace latentlab::distributed {
class Communicator;
}

namespace latentlab::train {

inline constexpr const char* kCheckpointMetadataKey = "latentlab.checkpoint";

struct Checkpoint {
  int64_t step = 0;                                 // optimiser steps done
  nlohmann::json state = nlohmann::json::object();  // data position, config, descriptions
  io::NamedArrays tensors;
};

std::string checkpoint_path(const std::string& dir, int64_t step);  // DIR/step-0000100.safetensors
// Writes the checkpoint, then removes all but the newest `keep` checkpoints of DIR (keep <= 0 keeps all).
// Returns the path written.
std::string write_checkpoint(const std::string& dir, const Checkpoint& checkpoint, int keep);
// write_checkpoint on rank 0 of a data-parallel job (distributed::write_on_rank0: every rank waits until the
// file is complete; one process just writes). Returns the path, the same on every rank.
std::string write_checkpoint_on_rank0(distributed::Communicator& communicator, const std::string& dir,
                                      const Checkpoint& checkpoint, int keep);
// The checkpoint of DIR with the highest step, if any (temporary files of an interrupted write are ignored).
std::optional<std::string> latest_checkpoint(const std::string& dir);
// The checkpoint a trainer's --resume value names: none for "off", the newest in DIR for "auto" (none when DIR
// holds none), else the file itself (usage UserError naming --resume when it does not exist).
std::optional<std::string> checkpoint_to_resume(const std::string& resume, const std::string& dir);
// UserError naming `path` when it is not a latentlab checkpoint.
Checkpoint read_checkpoint(const std::string& path);

// Prefixing and selecting tensors by name.
void append_prefixed(io::NamedArrays& out, const std::string& prefix, const io::NamedArrays& in);
// The tensors whose names start with `prefix`, with the prefix removed, in order.
io::NamedArrays select_prefixed(const io::NamedArrays& in, const std::string& prefix);
// The one tensor called `name`; UserError naming `subject` when absent.
const io::Array& find_array(const io::NamedArrays& in, const std::string& name, const std::string& subject);

}  // namespace latentlab::train
