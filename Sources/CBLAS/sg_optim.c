// Note [Optimizer loops in C]
// Swift on Linux lowers `squareRoot()` to a hardware square root guarded by a call of libm's
// sqrtf for negative inputs (errno), and a loop with such a call does not vectorise: Adam's
// update ran one element at a time (2.3 ms for W2's 670k parameters, SGD's 72 us). Here clang
// sees sqrt as the IEEE operation (__builtin_elementwise_sqrt, no errno) and vectorises the loop;
// target_clones builds it for AVX-512F, AVX2 and the baseline and picks one at load time.
// Contraction into FMAs is off so that every clone rounds exactly as Swift's scalar loop does
// (Optimizers.adam): the result does not depend on the CPU.
#include "sg_optim.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__clang__)
#define SG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SG_CLONES
#endif

#define SG_ADAM_STEP(NAME, T)                                                                                     \
  SG_CLONES void NAME(long n, T *restrict p, const T *restrict g, T *restrict m, T *restrict v, T sign, T factor, \
                      T w1, T beta2, T w2, T root2, T eps, T step_size) {                                         \
    for (long i = 0; i < n; i++) {                                                                                \
      T d = sign * g[i];                                                                                          \
      T q = p[i] * factor;                                                                                        \
      T mi = m[i] + w1 * (d - m[i]);                                                                              \
      T vi = v[i] * beta2 + w2 * (d * d);                                                                         \
      m[i] = mi;                                                                                                  \
      v[i] = vi;                                                                                                  \
      T denom = __builtin_elementwise_sqrt(vi) / root2 + eps;                                                     \
      p[i] = q + -step_size * (mi / denom);                                                                       \
    }                                                                                                             \
  }

SG_ADAM_STEP(sg_adam_step_f32, float)
SG_ADAM_STEP(sg_adam_step_f64, double)
