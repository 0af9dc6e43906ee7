// The Send-VAE alignment loss (Eq. 2 of arXiv 2601.05823) and the rule that pairs latent tokens with teacher
// tokens when their grids differ.
//
//   L_align = 1 − (1/(B·N)) Σ_b Σ_n cos(h_φ(z_t)[b, n], f(x)[b, n])
//
// with cos(a, b) = a·b / (max(‖a‖, 1e-12)·max(‖b‖, 1e-12)) (F.normalize on both sides, as REPA), n over the
// mapper's N = rows·cols tokens in row-major order, f(x) the frozen teacher's patch tokens (no gradient is
// taken through them; callers pass detached features).
//
// Grid rule (toolkit default, PAPER.md §6.2/§6.4): the mapper's patch size is chosen so that its grid equals
// the teacher's (p = 1 for f16 latents and DINOv2 at 224 -> 16×16; p = 2 for f8). When the teacher has
// exactly rows·cols tokens they pair one to one. Otherwise the teacher tokens must form a square s×s grid,
// which is resized to rows×cols with bilinear interpolation (align_corners = false, no antialias) channel by
// channel — the target is moved to the latent grid, never the latent to the target's. Anything else is a
// UserError. The same rule serves the VA-VAE VF loss (models/vf_loss.h).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace latentlab::models {

// teacher: B×N_t×D -> B×(rows·cols)×D by the rule above; errors name `subject`.
at::Tensor teacher_tokens_to_grid(const at::Tensor& teacher, int64_t rows, int64_t cols, const std::string& subject);

// tokens: B×(rows·cols)×D mapper output; teacher: B×N_t×D -> 0-dim L_align. Shapes are checked (UserError
// naming "sendvae-alignment").
at::Tensor sendvae_alignment_loss(const at::Tensor& tokens, const at::Tensor& teacher, int64_t rows, int64_t cols);

// The mean patch cosine itself (1 − L_align), for logs.
at::Tensor mean_patch_cosine(const at::Tensor& tokens, const at::Tensor& teacher_on_grid);

}  // namespace latentlab::models
