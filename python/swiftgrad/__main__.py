"""`python -m swiftgrad`: version and build information."""
import os
import platform

import numpy as np

import swiftgrad as sg
from swiftgrad import _C


def main():
    here = os.path.dirname(sg.__file__)
    print(f"swiftgrad {sg.__version__}")
    print(f"  package:   {here}")
    blas = sg.show_config("dicts")
    forced = ", forced by SWIFTGRAD_ISA" if blas["isa_forced"] else ""
    print(f"  core:      {blas['isa_library']} (Swift runtime linked statically)")
    print(f"             ISA {blas['isa']} (-target-cpu {blas['isa_target_cpu']}{forced}); "
          f"this CPU supports {', '.join(blas['cpu_supports'])}")
    print(f"  extension: {_C.__file__}")
    if blas["loaded"]:
        print(f"  BLAS:      {blas['library']}")
        print(f"             {blas['config']}; core {blas['core']}, {blas['threads']} threads "
              f"(OPENBLAS_CORETYPE {blas['OPENBLAS_CORETYPE'] or 'unset'}; best core for this CPU: "
              f"{blas['cpu_best_core'] or 'none'})")
    else:
        print(f"  BLAS:      none loaded: {blas['error']}")
    print(f"  Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()} {platform.system()}")
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    print(f"  self-check: d/dx sum(x*x) at [1, 2] = {x.grad.tolist()}")


if __name__ == "__main__":
    main()
