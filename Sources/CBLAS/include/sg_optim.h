// Optimizer update loops in C (Note [Optimizer loops in C], sg_optim.c).
#ifndef SG_OPTIM_H
#define SG_OPTIM_H

#ifdef __cplusplus
extern "C" {
#endif

// One Adam/AdamW step without AMSGrad over n contiguous elements (p, g, m, v must not overlap):
// d = sign g; p *= factor; m += w1 (d - m); v = beta2 v + w2 d^2;
// p += -step_size m / (sqrt(v) / root2 + eps).
void sg_adam_step_f32(long n, float *p, const float *g, float *m, float *v, float sign, float factor, float w1,
                      float beta2, float w2, float root2, float eps, float step_size);
void sg_adam_step_f64(long n, double *p, const double *g, double *m, double *v, double sign, double factor, double w1,
                      double beta2, double w2, double root2, double eps, double step_size);

#ifdef __cplusplus
}
#endif

#endif
