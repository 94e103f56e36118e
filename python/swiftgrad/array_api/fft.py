"""The standard's `fft` extension: `sg.fft`'s transforms (the core's `FFT` primitive) under the
standard's signatures."""
import swiftgrad as _sg

fft, ifft, fftn, ifftn = _sg.fft.fft, _sg.fft.ifft, _sg.fft.fftn, _sg.fft.ifftn
rfft, irfft, rfftn, irfftn = _sg.fft.rfft, _sg.fft.irfft, _sg.fft.rfftn, _sg.fft.irfftn
hfft, ihfft, fftshift, ifftshift = _sg.fft.hfft, _sg.fft.ihfft, _sg.fft.fftshift, _sg.fft.ifftshift


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    return _sg.fft.fftfreq(n, d, dtype=dtype, device=device)


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    return _sg.fft.rfftfreq(n, d, dtype=dtype, device=device)


__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]
