"""Discrete Fourier transforms (NumPy's `fft` names and the array API's `fft` extension), computed
by the Swift core's `FFT` primitive (Note [Discrete Fourier transform]): derivatives of every order
and every transform. `norm` is "backward" (the default, also for None), "ortho" or "forward"."""
from . import _C as _ext
from ._dtypes import code_of as _code_of, float_dtype as _float_dtype

# fft ifft rfft irfft hfft ihfft fftn ifftn rfftn irfftn fftshift ifftshift: the core's table
# publishes them here (Note [One op table]); their signatures take NumPy's and the standard's forms.
__all__ = [op.__name__ for op in _ext.operations if op.namespace == "fft"]
globals().update({op.__name__: op for op in _ext.operations if op.namespace == "fft"})


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies [0, 1, ..., n/2 - 1, -n/2, ..., -1] / (d n) of an n-point transform."""
    _check_device(device)
    return _ext.fftfreq(int(n), float(d), _code_of(_float_dtype(dtype)))


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies [0, 1, ..., n // 2] / (d n) of an n-point rfft."""
    _check_device(device)
    return _ext.rfftfreq(int(n), float(d), _code_of(_float_dtype(dtype)))


def _check_device(device):
    if device not in (None, "cpu"):
        raise ValueError(f"swiftgrad tensors live on the 'cpu' device only, got device={device!r}")


__all__ += ["fftfreq", "rfftfreq"]
