"""W11 and W12 of benchmarks/compare.py: training steps of small models written the way a PyTorch
user writes them (sg.nn modules, sg.optim), side by side with PyTorch eager (same architecture,
weights copied from swiftgrad's) and jax.jit (value_and_grad and a hand-written Adam/AdamW with
PyTorch's formulas), all float32. The first step's losses are checked equal (rtol 1e-4) before
timing.

    PYTHONPATH=python python3 benchmarks/compare.py --only W11,W12
"""
import math

import numpy as np

import swiftgrad as sg
from _timing import measure, table

nn, F = sg.nn, sg.nn.functional


# --- W11: LeNet-5 -------------------------------------------------------------------------------

class LeNet(nn.Module):
    """LeNet-5 shape: conv 6@5x5 (pad 2), pool, conv 16@5x5, pool, fc 120, 84, 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2, dtype=sg.float32)
        self.conv2 = nn.Conv2d(6, 16, 5, dtype=sg.float32)
        self.fc1 = nn.Linear(16 * 5 * 5, 120, dtype=sg.float32)
        self.fc2 = nn.Linear(120, 84, dtype=sg.float32)
        self.fc3 = nn.Linear(84, 10, dtype=sg.float32)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.reshape(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def _torch_lenet(torch):
    tnn, tF = torch.nn, torch.nn.functional

    class TorchLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 6, 5, padding=2)
            self.conv2 = tnn.Conv2d(6, 16, 5)
            self.fc1 = tnn.Linear(16 * 5 * 5, 120)
            self.fc2 = tnn.Linear(120, 84)
            self.fc3 = tnn.Linear(84, 10)

        def forward(self, x):
            x = tF.max_pool2d(tF.relu(self.conv1(x)), 2)
            x = tF.max_pool2d(tF.relu(self.conv2(x)), 2)
            x = x.flatten(1)
            x = tF.relu(self.fc1(x))
            x = tF.relu(self.fc2(x))
            return self.fc3(x)

    return TorchLeNet()


def _jax_lenet_loss(jax):
    jnp, lax = jax.numpy, jax.lax

    def conv(x, w, b, pad):
        out = lax.conv_general_dilated(x, w, (1, 1), [(pad, pad), (pad, pad)],
                                       dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return out + b.reshape(1, -1, 1, 1)

    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss(p, x, y):
        h = pool(jax.nn.relu(conv(x, p["conv1.weight"], p["conv1.bias"], 2)))
        h = pool(jax.nn.relu(conv(h, p["conv2.weight"], p["conv2.bias"], 0)))
        h = h.reshape(h.shape[0], -1)
        h = jax.nn.relu(h @ p["fc1.weight"].T + p["fc1.bias"])
        h = jax.nn.relu(h @ p["fc2.weight"].T + p["fc2.bias"])
        return _jax_cross_entropy(jax, h @ p["fc3.weight"].T + p["fc3.bias"], y)

    return loss


# --- W12: a small transformer language model -------------------------------------------------------

class Block(nn.Module):
    """Pre-norm block: x + attn(ln1(x)), then x + mlp(ln2(x)); causal attention, MLP 4x (GELU)."""

    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model, dtype=sg.float32)
        self.qkv = nn.Linear(d_model, 3 * d_model, dtype=sg.float32)
        self.proj = nn.Linear(d_model, d_model, dtype=sg.float32)
        self.ln2 = nn.LayerNorm(d_model, dtype=sg.float32)
        self.fc1 = nn.Linear(d_model, 4 * d_model, dtype=sg.float32)
        self.fc2 = nn.Linear(4 * d_model, d_model, dtype=sg.float32)

    def forward(self, x):
        B, T, C = x.shape
        H = self.n_heads
        q, k, v = sg.split(self.qkv(self.ln1(x)), 3, axis=2)
        q, k, v = (sg.swapaxes(t.reshape(B, T, H, C // H), 1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(sg.swapaxes(y, 1, 2).reshape(B, T, C))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyLM(nn.Module):
    def __init__(self, vocab=256, d_model=64, n_heads=4, n_layers=2, context=32):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model, dtype=sg.float32)
        self.pos = nn.Embedding(context, d_model, dtype=sg.float32)
        self.blocks = nn.Sequential(*[Block(d_model, n_heads) for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(d_model, dtype=sg.float32)
        self.head = nn.Linear(d_model, vocab, dtype=sg.float32)

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(sg.arange(T))
        return self.head(self.ln_f(self.blocks(x)))


def _torch_tiny_lm(torch, vocab, d_model, n_heads, n_layers, context):
    tnn, tF = torch.nn, torch.nn.functional

    class TorchBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = tnn.LayerNorm(d_model)
            self.qkv = tnn.Linear(d_model, 3 * d_model)
            self.proj = tnn.Linear(d_model, d_model)
            self.ln2 = tnn.LayerNorm(d_model)
            self.fc1 = tnn.Linear(d_model, 4 * d_model)
            self.fc2 = tnn.Linear(4 * d_model, d_model)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, n_heads, C // n_heads).transpose(1, 2) for t in (q, k, v))
            y = tF.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
            return x + self.fc2(tF.gelu(self.fc1(self.ln2(x))))

    class TorchTinyLM(tnn.Module):
        def __init__(self):
            super().__init__()
            self.tok = tnn.Embedding(vocab, d_model)
            self.pos = tnn.Embedding(context, d_model)
            self.blocks = tnn.Sequential(*[TorchBlock() for _ in range(n_layers)])
            self.ln_f = tnn.LayerNorm(d_model)
            self.head = tnn.Linear(d_model, vocab)

        def forward(self, idx):
            B, T = idx.shape
            x = self.tok(idx) + self.pos(torch.arange(T))
            return self.head(self.ln_f(self.blocks(x)))

    return TorchTinyLM()


def _jax_tiny_lm_loss(jax, n_heads, n_layers):
    jnp = jax.numpy

    def layer_norm(x, w, b, eps=1e-5):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / jnp.sqrt(var + eps) * w + b

    def linear(p, name, x):
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    def loss(p, idx, targets):
        B, T = idx.shape
        x = p["tok.weight"][idx] + p["pos.weight"][:T]
        causal = jnp.tril(jnp.ones((T, T), dtype=bool))
        for i in range(n_layers):
            b = f"blocks.{i}."
            C = x.shape[-1]
            h = layer_norm(x, p[b + "ln1.weight"], p[b + "ln1.bias"])
            q, k, v = jnp.split(linear(p, b + "qkv", h), 3, axis=2)
            q, k, v = (t.reshape(B, T, n_heads, C // n_heads).transpose(0, 2, 1, 3) for t in (q, k, v))
            s = jnp.where(causal, q @ k.transpose(0, 1, 3, 2) * (1.0 / math.sqrt(C // n_heads)), -jnp.inf)
            y = (jax.nn.softmax(s, axis=-1) @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
            x = x + linear(p, b + "proj", y)
            h = layer_norm(x, p[b + "ln2.weight"], p[b + "ln2.bias"])
            x = x + linear(p, b + "fc2", jax.nn.gelu(linear(p, b + "fc1", h), approximate=False))
        logits = linear(p, "head", layer_norm(x, p["ln_f.weight"], p["ln_f.bias"]))
        return _jax_cross_entropy(jax, logits.reshape(B * T, -1), targets.reshape(-1))

    return loss


# --- shared -------------------------------------------------------------------------------------------

def _jax_cross_entropy(jax, logits, labels):
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jax.numpy.take_along_axis(logp, labels[:, None], axis=1).mean()


def _jax_step(jax, loss, params, lr, weight_decay, decoupled, betas=(0.9, 0.999), eps=1e-8):
    """jax.jit of value_and_grad and PyTorch's Adam (decoupled=False) or AdamW update."""
    jnp = jax.numpy
    b1, b2 = betas

    def update(p, g, m, v, t):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = jnp.sqrt(v) / jnp.sqrt(1 - b2 ** t) + eps
        return p - (lr / (1 - b1 ** t)) * m / denom, m, v

    @jax.jit
    def step(p, m, v, t, *batch):
        value, grads = jax.value_and_grad(loss)(p, *batch)
        out = {k: update(p[k], grads[k], m[k], v[k], t) for k in p}
        return value, {k: o[0] for k, o in out.items()}, {k: o[1] for k, o in out.items()}, \
            {k: o[2] for k, o in out.items()}

    state = {"p": {k: jnp.asarray(a) for k, a in params.items()}, "t": 0}
    state["m"] = {k: jnp.zeros_like(a) for k, a in state["p"].items()}
    state["v"] = {k: jnp.zeros_like(a) for k, a in state["p"].items()}

    def run(*batch):
        state["t"] += 1
        value, state["p"], state["m"], state["v"] = step(state["p"], state["m"], state["v"],
                                                         jnp.float32(state["t"]), *batch)
        return float(value.block_until_ready())

    return run


def _sg_step(model, opt, loss_of):
    def step():
        opt.zero_grad()
        loss = loss_of(model)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _torch_step(torch, model, opt, loss_of):
    def step():
        opt.zero_grad()
        loss = loss_of(model)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _run(title, contenders, rounds):
    losses = {name: fn() for name, fn in contenders.items()}  # the first step of each: same weights
    first = losses["swiftgrad"]
    for name, value in losses.items():
        np.testing.assert_allclose(value, first, rtol=1e-4, err_msg=f"{title}: first-step loss of {name}")
    results = measure(contenders, rounds=rounds, warmup=2)
    note = "first-step losses: " + ", ".join(f"{k} {v:.6f}" for k, v in losses.items())
    base = "torch" if "torch" in results else "swiftgrad"
    return table(title, results, "ms", 1e3, baseline=base) + "\n" + note + "\n", \
        {k: v[0] for k, v in results.items()}


def _numpy_params(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def w11(found, rounds):
    """LeNet-5 training step: batch 64, float32, Adam, cross-entropy."""
    sg.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    model = LeNet()
    params = _numpy_params(model)
    opt = sg.optim.Adam(model.parameters(), lr=1e-3)
    sx, sy = sg.tensor(x), sg.tensor(y)
    contenders = {"swiftgrad": _sg_step(model, opt, lambda m: F.cross_entropy(m(sx), sy))}
    if "torch" in found:
        torch = found["torch"]
        tmodel = _torch_lenet(torch)
        tmodel.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        contenders["torch"] = _torch_step(torch, tmodel, topt,
                                          lambda m: torch.nn.functional.cross_entropy(m(tx), ty))
    if "jax" in found:
        jax = found["jax"]
        run = _jax_step(jax, _jax_lenet_loss(jax), params, 1e-3, 0.0, False)
        jx, jy = jax.numpy.asarray(x), jax.numpy.asarray(y.astype(np.int32))
        contenders["jax.jit"] = lambda: run(jx, jy)
    return _run("W11: LeNet-5 training step (batch 64, float32, Adam, cross-entropy)", contenders, rounds)


def w12(found, rounds):
    """Small transformer LM step: 2 pre-norm blocks, d_model 64, 4 heads, T 32, batch 16, vocab 256."""
    vocab, d_model, n_heads, n_layers, context, batch = 256, 64, 4, 2, 32, 16
    sg.random.seed(0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, vocab, (batch, context + 1))
    idx, targets = tokens[:, :-1].copy(), tokens[:, 1:].copy()
    model = TinyLM(vocab, d_model, n_heads, n_layers, context)
    params = _numpy_params(model)
    opt = sg.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    si, st = sg.tensor(idx), sg.tensor(targets.reshape(-1))
    contenders = {"swiftgrad": _sg_step(model, opt, lambda m: F.cross_entropy(m(si).reshape(-1, vocab), st))}
    if "torch" in found:
        torch = found["torch"]
        tmodel = _torch_tiny_lm(torch, vocab, d_model, n_heads, n_layers, context)
        tmodel.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
        topt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3, weight_decay=0.01)
        ti, tt = torch.from_numpy(idx), torch.from_numpy(targets.reshape(-1))
        contenders["torch"] = _torch_step(torch, tmodel, topt, lambda m: torch.nn.functional.cross_entropy(
            m(ti).reshape(-1, vocab), tt))
    if "jax" in found:
        jax = found["jax"]
        run = _jax_step(jax, _jax_tiny_lm_loss(jax, n_heads, n_layers), params, 1e-3, 0.01, True)
        ji, jt = jax.numpy.asarray(idx.astype(np.int32)), jax.numpy.asarray(targets.astype(np.int32))
        contenders["jax.jit"] = lambda: run(ji, jt)
    title = (f"W12: transformer LM training step ({n_layers} pre-norm blocks, d_model {d_model}, {n_heads} heads, "
             f"T {context}, batch {batch}, vocab {vocab}, float32, AdamW)")
    return _run(title, contenders, rounds)
