// The BLAS and LAPACK entry points swiftgrad uses, reached through function pointers that
// sg_blas.c resolves with dlopen/dlsym at first use (Note [Loading BLAS at run time]).
#ifndef SG_BLAS_H
#define SG_BLAS_H

#include <stdint.h>

#include "sg_bf16_gemm.h" // swiftgrad's own bfloat16 GEMM for AVX512-BF16 CPUs
#include "sg_optim.h"     // optimizer update loops that vectorise (Note [Optimizer loops in C])

#ifdef __cplusplus
extern "C" {
#endif

// Loads the BLAS library at `path` (a file path or a soname) unless one is loaded already.
// Returns 0 on success, -1 with a message in sg_blas_error() otherwise. Without an explicit call
// the first BLAS call loads the default (SWIFTGRAD_BLAS_LIBRARY, scipy-openblas, system OpenBLAS).
int sg_blas_load(const char *path);
// 1 when a BLAS is loaded (loading the default if none was), 0 when none could be.
int sg_blas_ready(void);
const char *sg_blas_error(void);

// Description of the loaded library (empty strings before loading).
const char *sg_blas_library_path(void);     // the file dlopen opened
const char *sg_blas_config(void);           // openblas_get_config(): version, build options
const char *sg_blas_corename(void);         // the kernel set in use ("SkylakeX", "Haswell", ...)
const char *sg_blas_preselected_core(void); // the core swiftgrad chose before loading, or ""
int sg_blas_get_num_threads(void);
void sg_blas_set_num_threads(int n);
// The best OpenBLAS core name this CPU's features allow ("SkylakeX", "Haswell", "SandyBridge")
// or "" for none of them; and whether `core` is one of OpenBLAS's generic pre-AVX cores.
const char *sg_blas_cpu_best_core(void);
int sg_blas_core_is_generic(const char *core);

// Row-major GEMM: C = alpha op(A) op(B) + beta C; transA/transB are 0 (no) or 1 (transpose).
void sg_sgemm(int transA, int transB, int32_t m, int32_t n, int32_t k, float alpha, const float *a, int32_t lda,
              const float *b, int32_t ldb, float beta, float *c, int32_t ldc);
void sg_dgemm(int transA, int transB, int32_t m, int32_t n, int32_t k, double alpha, const double *a, int32_t lda,
              const double *b, int32_t ldb, double beta, double *c, int32_t ldc);
// bfloat16 GEMM (OpenBLAS's cblas_sbgemm: bfloat16 A and B, float32 C, alpha 1, beta 0), when the
// loaded library exports it: sg_blas_has_sbgemm() says so (Note [Low-precision GEMM], BLAS.swift).
int sg_blas_has_sbgemm(void);
void sg_sbgemm(int transA, int transB, int32_t m, int32_t n, int32_t k, const void *a, int32_t lda, const void *b,
               int32_t ldb, float *c, int32_t ldc);

// Row-major LAPACKE calls (the LAPACKE_* functions of the same names); the return value is
// LAPACK's info (negative: a bad argument, positive: a numerical failure).
int32_t sg_dgetrf(int32_t m, int32_t n, double *a, int32_t lda, int32_t *ipiv);
int32_t sg_dgetri(int32_t n, double *a, int32_t lda, const int32_t *ipiv);
int32_t sg_dpotrf(char uplo, int32_t n, double *a, int32_t lda);
int32_t sg_dsyevd(char jobz, char uplo, int32_t n, double *a, int32_t lda, double *w);
int32_t sg_dgesdd(char jobz, int32_t m, int32_t n, double *a, int32_t lda, double *s, double *u, int32_t ldu,
                  double *vt, int32_t ldvt);
int32_t sg_dgeqrf(int32_t m, int32_t n, double *a, int32_t lda, double *tau);
int32_t sg_dorgqr(int32_t m, int32_t n, int32_t k, double *a, int32_t lda, const double *tau);
// Complex GEMM C = A B (complex64: cgemm, complex128: zgemm; row-major, no transposes), when the
// loaded library exports both: sg_blas_has_complex_gemm() says so (Note [Complex dtypes]).
int sg_blas_has_complex_gemm(void);
void sg_cgemm(int32_t m, int32_t n, int32_t k, const void *a, int32_t lda, const void *b, int32_t ldb, void *c,
              int32_t ldc);
void sg_zgemm(int32_t m, int32_t n, int32_t k, const void *a, int32_t lda, const void *b, int32_t ldb, void *c,
              int32_t ldc);
// Complex128 LU factorization and inverse from it (LAPACKE_zgetrf/zgetri, row-major), when the
// loaded LAPACK exports them: sg_blas_has_complex_lu() says so (complex inv, det, slogdet).
int sg_blas_has_complex_lu(void);
int32_t sg_zgetrf(int32_t m, int32_t n, void *a, int32_t lda, int32_t *ipiv);
int32_t sg_zgetri(int32_t n, void *a, int32_t lda, const int32_t *ipiv);
// Complex128 Cholesky factorization (LAPACKE_zpotrf, row-major), when the loaded LAPACK exports it.
int sg_blas_has_complex_cholesky(void);
int32_t sg_zpotrf(char uplo, int32_t n, void *a, int32_t lda);

#ifdef __cplusplus
}
#endif
#endif
