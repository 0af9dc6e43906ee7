#!/usr/bin/python3
"""Independent reference for latentlab's samplers (lib/diffusion/sampler.cpp): REPA-E's `euler_sampler` and
`euler_maruyama_sampler` (End2End-Diffusion/REPA-E 3ad8046 samplers.py, after sihyun-yu/REPA; MIT licence)
written out in PyTorch float64 as those loops run them: the concatenated cond/uncond batch, guidance applied
to the ODE velocity and to the SDE *drift*, the score from the velocity through REPA's general formula
(alpha_t = 1 - t, sigma_t = t: score = (alpha/alpha' * v - x) / (sigma^2 - alpha/alpha' * sigma' * sigma)),
diffusion 2t, the last step from t = 0.04 to 0 taking the mean. The model is replaced by an analytic field
both sides define the same way, and the SDE's noise is read from the inputs instead of torch.randn_like.

  sampler_reference.py DIR
      reads  DIR/inputs.npz: x (N,C,H,W) float64, y (N,) int64, table (K+1, C) float64, noise (S-1, N,C,H,W),
             params [ode_steps, sde_steps, cfg_scale, guidance_low, guidance_high]
      writes DIR/expected.npz: ode, sde (N,C,H,W) float64

The field: v(x, t, y) = -(1 - t) * x + t * table[y] (per channel, broadcast over H, W); null class = K.
"""
import sys

import numpy as np
import torch


def field(table):
    def model(x, t, y):
        return -(1 - t)[:, None, None, None] * x + t[:, None, None, None] * table[y][:, :, None, None]
    return model


def euler_sampler(model, latents, y, y_null, num_steps, cfg_scale, guidance_low, guidance_high):
    t_steps = torch.linspace(1, 0, num_steps + 1, dtype=torch.float64)
    x_next = latents.to(torch.float64)
    for t_cur, t_next in zip(t_steps[:-1], t_steps[1:]):
        x_cur = x_next
        guided = cfg_scale > 1.0 and guidance_low <= t_cur <= guidance_high
        model_input = torch.cat([x_cur] * 2, dim=0) if guided else x_cur
        y_cur = torch.cat([y, y_null], dim=0) if guided else y
        time_input = torch.ones(model_input.size(0), dtype=torch.float64) * t_cur
        d_cur = model(model_input, time_input, y_cur)
        if guided:
            d_cur_cond, d_cur_uncond = d_cur.chunk(2)
            d_cur = d_cur_uncond + cfg_scale * (d_cur_cond - d_cur_uncond)
        x_next = x_cur + (t_next - t_cur) * d_cur
    return x_next


def score_from_velocity(vt, xt, t):
    t = t[:, None, None, None]
    alpha_t, d_alpha_t = 1 - t, -torch.ones_like(t)
    sigma_t, d_sigma_t = t, torch.ones_like(t)
    reverse_alpha_ratio = alpha_t / d_alpha_t
    var = sigma_t ** 2 - reverse_alpha_ratio * d_sigma_t * sigma_t
    return (reverse_alpha_ratio * vt - xt) / var


def euler_maruyama_sampler(model, latents, y, y_null, num_steps, cfg_scale, guidance_low, guidance_high, noise):
    t_steps = torch.linspace(1.0, 0.04, num_steps, dtype=torch.float64)
    t_steps = torch.cat([t_steps, torch.tensor([0.0], dtype=torch.float64)])
    x_next = latents.to(torch.float64)

    def drift(x_cur, t_cur):
        guided = cfg_scale > 1.0 and guidance_low <= t_cur <= guidance_high
        model_input = torch.cat([x_cur] * 2, dim=0) if guided else x_cur
        y_cur = torch.cat([y, y_null], dim=0) if guided else y
        time_input = torch.ones(model_input.size(0), dtype=torch.float64) * t_cur
        diffusion = 2 * t_cur
        v_cur = model(model_input, time_input, y_cur)
        s_cur = score_from_velocity(v_cur, model_input, time_input)
        d_cur = v_cur - 0.5 * diffusion * s_cur
        if guided:
            d_cond, d_uncond = d_cur.chunk(2)
            d_cur = d_uncond + cfg_scale * (d_cond - d_uncond)
        return d_cur

    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-2], t_steps[1:-1])):
        dt = t_next - t_cur
        x_cur = x_next
        deps = noise[i] * torch.sqrt(torch.abs(dt))
        x_next = x_cur + drift(x_cur, t_cur) * dt + torch.sqrt(2 * t_cur) * deps
    t_cur, t_next = t_steps[-2], t_steps[-1]
    return x_next + (t_next - t_cur) * drift(x_next, t_cur)


def main():
    directory = sys.argv[1]
    inputs = np.load(f"{directory}/inputs.npz")
    x, y = torch.from_numpy(inputs["x"]), torch.from_numpy(inputs["y"])
    table = torch.from_numpy(inputs["table"])
    noise = torch.from_numpy(inputs["noise"])
    ode_steps, sde_steps, scale, low, high = inputs["params"].tolist()
    y_null = torch.full_like(y, table.shape[0] - 1)
    model = field(table)
    ode = euler_sampler(model, x, y, y_null, int(ode_steps), scale, low, high)
    sde = euler_maruyama_sampler(model, x, y, y_null, int(sde_steps), scale, low, high, noise)
    np.savez(f"{directory}/expected.npz", ode=ode.numpy(), sde=sde.numpy())


if __name__ == "__main__":
    main()
