// Note [C99 complex functions]
// The complex elementary functions of C99's Annex G (libm's cexp ... catanh) fix the principal
// branches and every special value (signed zeros on the cuts, infinities, NaNs) that NumPy and
// the array API standard specify. Swift cannot name C's `double complex`, so each is wrapped
// here as a function of the two parts. complex64 computes through these in double precision.
#include "sg_complex.h"

#include <complex.h>
#include <math.h>

// C11's CMPLX (glibc declares it only for C11 and later): a complex from parts, signed zeros,
// infinities and NaNs kept exactly (x + y * I would not keep them).
static inline double complex make(double re, double im) { return __builtin_complex(re, im); }

static inline sg_complex_parts parts(double complex z) {
  sg_complex_parts p = {creal(z), cimag(z)};
  return p;
}

#define SG_COMPLEX_UNARY(NAME, F) \
  sg_complex_parts NAME(double re, double im) { return parts(F(make(re, im))); }

SG_COMPLEX_UNARY(sg_cexp, cexp)
SG_COMPLEX_UNARY(sg_clog, clog)
SG_COMPLEX_UNARY(sg_csqrt, csqrt)
SG_COMPLEX_UNARY(sg_csin, csin)
SG_COMPLEX_UNARY(sg_ccos, ccos)
SG_COMPLEX_UNARY(sg_ctan, ctan)
SG_COMPLEX_UNARY(sg_csinh, csinh)
SG_COMPLEX_UNARY(sg_ccosh, ccosh)
SG_COMPLEX_UNARY(sg_ctanh, ctanh)
SG_COMPLEX_UNARY(sg_casin, casin)
SG_COMPLEX_UNARY(sg_cacos, cacos)
SG_COMPLEX_UNARY(sg_catan, catan)
SG_COMPLEX_UNARY(sg_casinh, casinh)
SG_COMPLEX_UNARY(sg_cacosh, cacosh)
SG_COMPLEX_UNARY(sg_catanh, catanh)

// e^(x+iy) - 1 = (expm1(x) cos y - 2 sin^2(y/2)) + i e^x sin y for moderate x (the real part
// without cancellation); elsewhere, and for non-finite parts, cexp(z) - 1 has the right limits.
sg_complex_parts sg_cexpm1(double re, double im) {
  if (re == 0 && im == 0) { // +0 whatever the sign of re, as exp(z) - 1 rounds it
    sg_complex_parts p = {0, im};
    return p;
  }
  if (isfinite(re) && isfinite(im) && re < 700) {
    double h = sin(im / 2);
    sg_complex_parts p = {expm1(re) * cos(im) - 2 * h * h, exp(re) * sin(im)};
    return p;
  }
  if (isinf(re) && re < 0 && !isinf(im)) { // e^-inf = 0 whatever the angle: -1 + 0i
    sg_complex_parts p = {-1, isnan(im) ? 0 : copysign(0, im)};
    return p;
  }
  sg_complex_parts p = parts(cexp(make(re, im)));
  p.re -= 1;
  return p;
}

// log(1 + z): log|1 + z| = log1p(2x + x^2 + y^2) / 2 near z = 0, where |1 + z| is close to 1;
// clog(1 + z) elsewhere (its special values: 1 + z is exact for the non-finite parts).
sg_complex_parts sg_clog1p(double re, double im) {
  if (fabs(re) < 0.5 && fabs(im) < 0.5) {
    sg_complex_parts p = {0.5 * log1p(re * (2 + re) + im * im), atan2(im, 1 + re)};
    return p;
  }
  return parts(clog(make(1 + re, im)));
}
