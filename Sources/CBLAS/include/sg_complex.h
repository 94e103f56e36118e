// C99's complex elementary functions, as functions of the parts (Note [C99 complex functions],
// sg_complex.c).
#ifndef SG_COMPLEX_H
#define SG_COMPLEX_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  double re;
  double im;
} sg_complex_parts;

sg_complex_parts sg_cexp(double re, double im);
sg_complex_parts sg_clog(double re, double im);
sg_complex_parts sg_csqrt(double re, double im);
sg_complex_parts sg_csin(double re, double im);
sg_complex_parts sg_ccos(double re, double im);
sg_complex_parts sg_ctan(double re, double im);
sg_complex_parts sg_csinh(double re, double im);
sg_complex_parts sg_ccosh(double re, double im);
sg_complex_parts sg_ctanh(double re, double im);
sg_complex_parts sg_casin(double re, double im);
sg_complex_parts sg_cacos(double re, double im);
sg_complex_parts sg_catan(double re, double im);
sg_complex_parts sg_casinh(double re, double im);
sg_complex_parts sg_cacosh(double re, double im);
sg_complex_parts sg_catanh(double re, double im);
// exp(z) - 1 and log(1 + z) without cancellation near 0 (C99 has no complex expm1/log1p).
sg_complex_parts sg_cexpm1(double re, double im);
sg_complex_parts sg_clog1p(double re, double im);

#ifdef __cplusplus
}
#endif

#endif
