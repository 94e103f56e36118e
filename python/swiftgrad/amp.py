"""Mixed precision: `autocast` (which ops run in bfloat16/float16, Note [Autocast] in
Sources/SwiftGrad/Core/Autocast.swift) and `GradScaler` (dynamic loss scaling, the recipe of
docs/MIXED_PRECISION.md). The per-op lists and the unscale kernel are in Swift; this module keeps
the scaler's bookkeeping (scale, growth tracker, per-optimizer state)."""
import functools
import math


from . import _C
from ._dtypes import BFLOAT16_CODE, as_dtype, bfloat16_dtype, code_of, float16

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype"]


def get_autocast_dtype():
    """This thread's autocast dtype, or None when autocast is off."""
    code = _C.autocast_set(-1)
    _C.autocast_set(code)
    return None if code < 0 else (bfloat16_dtype() if code == BFLOAT16_CODE else float16)


def is_autocast_enabled():
    """Whether an `autocast` block is active on this thread."""
    return get_autocast_dtype() is not None


class autocast:
    """`with sg.autocast(dtype=sg.bfloat16): ...` runs matmul/conv/linear/attention in `dtype`
    (their float32 operands are cast; the casts are differentiable, so float32 master weights get
    float32 gradients) and keeps softmax, log_softmax, losses, norms, exp/log reductions and linalg
    in float32, as PyTorch's CPU autocast lists. Thread-local; nests (an inner
    `autocast(enabled=False)` switches it off); independent of `no_grad`; a function compiled with
    `sg.compile` inside the block records the casts. Usable as a decorator."""

    def __init__(self, dtype="bfloat16", enabled=True, device_type="cpu", cache_enabled=None):
        if device_type not in ("cpu", None):
            raise ValueError(f"autocast: swiftgrad runs on the CPU only, got device_type={device_type!r}")
        d = as_dtype(dtype)
        if d not in (bfloat16_dtype(), float16):
            raise ValueError(f"autocast: dtype must be sg.bfloat16 or sg.float16, got {d}")
        self.dtype = d
        self.enabled = bool(enabled)
        self._saved = []

    def __enter__(self):
        self._saved.append(_C.autocast_set(code_of(self.dtype) if self.enabled else -1))
        return self

    def __exit__(self, *exc):
        _C.autocast_set(self._saved.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.dtype, self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def _map_tensors(fn, value):
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map_tensors(fn, v) for k, v in value.items()}
    return fn(value)


class GradScaler:
    """Dynamic loss scaling (PyTorch's `torch.amp.GradScaler`): `scale(loss)` multiplies the loss
    by the current scale (init 2**16) so that small gradients survive a 16-bit backward;
    `unscale_(optimizer)` divides that optimizer's gradients back in place and notes any inf/NaN;
    `step(optimizer)` unscales if needed and skips the update when a gradient was not finite;
    `update()` halves the scale (`backoff_factor`) after a skipped step and doubles it
    (`growth_factor`) after `growth_interval` clean steps in a row. Call `unscale_` before
    `sg.nn.utils.clip_grad_norm_` to clip the true gradients."""

    _READY, _UNSCALED, _STEPPED = 0, 1, 2

    def __init__(self, device="cpu", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        if not growth_factor > 1.0:
            raise ValueError(f"GradScaler: growth_factor must be > 1, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"GradScaler: backoff_factor must be in (0, 1), got {backoff_factor}")
        if int(growth_interval) != growth_interval or growth_interval < 1:
            raise ValueError(f"GradScaler: growth_interval must be a positive integer, got {growth_interval}")
        if not (math.isfinite(init_scale) and init_scale > 0):
            raise ValueError(f"GradScaler: init_scale must be positive and finite, got {init_scale}")
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}

    def is_enabled(self):
        """Whether the scaler acts (a disabled one passes losses and steps through unchanged)."""
        return self._enabled

    def get_scale(self):
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        """The factor the scale grows by after `growth_interval` clean steps."""
        return self._growth_factor

    def get_backoff_factor(self):
        """The factor the scale shrinks by after a step with an inf/NaN gradient."""
        return self._backoff_factor

    def get_growth_interval(self):
        """The number of clean steps in a row after which the scale grows."""
        return self._growth_interval

    def scale(self, outputs):
        """`outputs` (a tensor or nested lists/tuples/dicts of them) times the scale."""
        if not self._enabled:
            return outputs
        return _map_tensors(lambda t: t * self._scale, outputs)

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": self._READY, "found_inf": False})

    def unscale_(self, optimizer):
        """Divides `optimizer`'s gradients by the scale in place (once per step)."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == self._UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update()")
        if state["stage"] == self._STEPPED:
            raise RuntimeError("unscale_() is being called after step()")
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        state["found_inf"] = _C.amp_unscale(grads, 1.0 / self._scale)
        state["stage"] = self._UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """`optimizer.step(*args, **kwargs)` unless a gradient was inf/NaN (then skipped: returns None)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if state["stage"] == self._STEPPED:
            raise RuntimeError("step() has already been called since the last update()")
        if state["stage"] == self._READY:
            self.unscale_(optimizer)
        state["stage"] = self._STEPPED
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Adjusts the scale after the step(s) of this iteration, or sets it to `new_scale`."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = float(new_scale)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"GradScaler.update: new_scale must be positive and finite, got {new_scale}")
            self._scale = value
        else:
            if not self._per_optimizer:
                raise RuntimeError("update(): no optimizer step was recorded since the last update()")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self):
        """The scaler's state (empty when disabled), for checkpoints."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        """Restores a `state_dict()` (scale, factors, interval and growth tracker)."""
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("GradScaler.load_state_dict: the given state dict is empty (saved while disabled?)")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
