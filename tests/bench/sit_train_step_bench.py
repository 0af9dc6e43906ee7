"""The peer of bench_sit_train_step, in PyTorch with the independent SiT of
tests/reference/models/sit_reference.py.

  sit_train_step_bench.py train WEIGHTS CONFIG_JSON BATCH ITERS THREADS [DEVICE=cpu]
      writes the seeded weights to WEIGHTS (a plain state dict the C++ side loads, so both time the same
      network), then times ITERS training steps after one warm-up step: linear flow matching (t ~ U(0,1),
      x_t = (1 - t) x + t eps, target eps - x, MSE) + 0.5 x REPA's negative cosine of the projections against
      fixed random targets, backward, clip_grad_norm_(1.0), AdamW(lr 1e-4, wd 0). Prints steps/s of the
      fastest step on the last line.
  sit_train_step_bench.py sample WEIGHTS CONFIG_JSON BATCH STEPS THREADS [DEVICE=cpu]
      writes seeded weights as above, then times REPA-E's Euler-Maruyama loop (float64 state, float32 model,
      CFG 2.5 on [0, 0.75], concatenated batch) over STEPS steps; prints latents/s on the last line.
On CUDA the random draws stay on the CPU generator (as the C++ side) and are moved; clocks wait for the device.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "models"))
import sit_reference  # noqa: E402


DEVICE = "cpu"


def clock():
    if DEVICE != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter()


def seeded_model(weights, config):
    model = sit_reference.SiT(config)
    sit_reference.randomise(model, torch.Generator().manual_seed(0))
    torch.save(model.state_dict(), weights)
    return model.to(DEVICE)


def train(weights, config, batch, iters):
    model = seeded_model(weights, config)
    g = torch.Generator().manual_seed(1)
    c, s = config["in_channels"], config["input_size"]
    x = torch.randn(batch, c, s, s, generator=g).to(DEVICE)
    y = torch.randint(0, config["num_classes"], (batch,), generator=g).to(DEVICE)
    tokens = (s // config["patch_size"]) ** 2
    targets = [torch.randn(batch, tokens, z, generator=g).to(DEVICE) for z in config["z_dims"]]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0)

    def step():
        t = torch.rand(batch, generator=g).to(DEVICE)
        noise = torch.randn(x.shape, generator=g).to(DEVICE)
        tt = t[:, None, None, None]
        pred, zs = model((1 - tt) * x + tt * noise, t, y)
        loss = (pred - (noise - x)).pow(2).mean()
        proj = sum(-(F.normalize(z, dim=-1) * F.normalize(tg, dim=-1)).sum(-1).mean() for z, tg in zip(zs, targets))
        (loss + 0.5 * proj / len(zs)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    step()
    fastest = float("inf")
    for _ in range(iters):
        start = clock()
        step()
        fastest = min(fastest, clock() - start)
    return 1.0 / fastest


def euler_maruyama_cfg(model, x, y, null, steps, g):
    """REPA-E's Euler-Maruyama loop as latentlab runs it: float64 state x on the model's device, float32 model,
    CFG 2.5 on t in [0, 0.75] through the concatenated batch, increments drawn from the CPU generator g;
    the last step (t = 0.04 -> 0) takes the mean. Returns the float64 latents at t = 0. (Also used by
    sample_images_bench.py.)"""
    with torch.no_grad():
        t_steps = torch.cat([torch.linspace(1.0, 0.04, steps, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)])
        for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
            guided = 0 <= t_cur <= 0.75
            xin = torch.cat([x, x]) if guided else x
            yin = torch.cat([y, torch.full_like(y, null)]) if guided else y
            v = model(xin.float(), torch.full((xin.shape[0],), float(t_cur), device=x.device), yin)[0].double()
            if guided:
                vc, vu = v.chunk(2)
                v = vu + 2.5 * (vc - vu)
            dt = t_next - t_cur
            x = x + (x + (2 - t_cur) * v) * dt
            if i < steps - 1:
                noise = torch.randn(x.shape, generator=g, dtype=torch.float64).to(x.device)
                x = x + torch.sqrt(2 * t_cur) * torch.sqrt(-dt) * noise
    return x


def sample(weights, config, batch, steps):
    model = seeded_model(weights, config).eval()
    c, s, null = config["in_channels"], config["input_size"], config["num_classes"]
    g = torch.Generator().manual_seed(2)
    start = clock()
    x = torch.randn(batch, c, s, s, generator=g, dtype=torch.float64).to(DEVICE)
    y = torch.randint(0, null, (batch,), generator=g).to(DEVICE)
    euler_maruyama_cfg(model, x, y, null, steps, g)
    return batch / (clock() - start)


def main():
    mode, weights = sys.argv[1], sys.argv[2]
    config = json.loads(sys.argv[3])
    batch, count, threads = (int(a) for a in sys.argv[4:7])
    global DEVICE
    DEVICE = sys.argv[7] if len(sys.argv) > 7 else "cpu"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rate = train(weights, config, batch, count) if mode == "train" else sample(weights, config, batch, count)
    print(f"pytorch {torch.__version__} on {DEVICE}, {threads} threads, {mode}")
    print(rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
