// Copying named tensors (a state dict read from a file) into a torch module, strictly: every parameter and
// buffer must be given with its shape and no other name may appear, as PyTorch's strict load_state_dict.
// Shared by the small training networks (PatchGAN, Send-VAE mapper); errors are one UserError line.
#pragma once

#include <string>

#include "io/array.h"

namespace torch::nn {
class Module;
}

namespace latentlab::models {

// The parameters and buffers of `module` by their dotted names, in module order, as contiguous CPU arrays
// (floating tensors as float32; integer buffers such as BatchNorm's num_batches_tracked keep their type).
io::NamedArrays module_state_arrays(torch::nn::Module& module);

// Copies `tensors` into the parameters and buffers of `module` (converting dtype and device). A
// missing, unexpected or wrongly shaped tensor, a duplicate name or a non-float tensor for a float slot is a
// UserError naming `subject`, `what` (e.g. "PatchGAN discriminator (ndf 64, 3 layers)"), the counts and the
// first offending name of each kind. `optional_suffix` names buffers that may be absent (e.g.
// ".num_batches_tracked", which torch < 1.0 did not write); they keep their value. Nothing is copied on error.
void load_module_state(torch::nn::Module& module, const io::NamedArrays& tensors, const std::string& subject,
                       const std::string& what, const std::string& optional_suffix = "");

// Writes a model's state as safetensors (format "pt", producer "latentlab") with its config JSON in the
// metadata under `config_key`, so that loading needs no options; atomically.
void save_model_safetensors(const std::string& path, const io::NamedArrays& state, const std::string& config_key,
                            const std::string& config_json);

}  // namespace latentlab::models
