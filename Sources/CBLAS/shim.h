// OpenBLAS's CBLAS and the reference LAPACKE (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
