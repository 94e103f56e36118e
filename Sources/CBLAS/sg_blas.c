// Note [Loading BLAS at run time]
// swiftgrad does not link a BLAS. It opens one with dlopen at first use, in this order:
//   1. the library named by SWIFTGRAD_BLAS_LIBRARY (a path or a soname), if set;
//   2. the path handed to sg_blas_load (the Python package passes the scipy-openblas32 wheel's
//      library, a current OpenBLAS that NumPy and SciPy also ship);
//   3. libscipy_openblas.so on the loader's search path;
//   4. the system OpenBLAS (libopenblas.so.0) with the system LAPACKE (liblapacke.so.3).
// OpenBLAS picks its kernels from the CPU when it is loaded. An OpenBLAS older than the CPU
// falls back to generic SSE3 kernels (4-8x slower GEMM), so for the system library (which may be
// years older than the machine) swiftgrad names the best core the CPU's features allow in
// OPENBLAS_CORETYPE while it loads the library, unless the user has set that variable.
// The scipy-openblas build detects current CPUs itself and is left to do so.
#define _GNU_SOURCE // dladdr
#include "sg_blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int, int, int, int32_t, int32_t, int32_t, float, const float *, int32_t, const float *,
                         int32_t, float, float *, int32_t);
typedef void (*sbgemm_fn)(int, int, int, int32_t, int32_t, int32_t, float, const void *, int32_t, const void *, int32_t,
                          float, float *, int32_t);
typedef void (*dgemm_fn)(int, int, int, int32_t, int32_t, int32_t, double, const double *, int32_t, const double *,
                         int32_t, double, double *, int32_t);
typedef int32_t (*getrf_fn)(int, int32_t, int32_t, double *, int32_t, int32_t *);
typedef int32_t (*getri_fn)(int, int32_t, double *, int32_t, const int32_t *);
typedef int32_t (*potrf_fn)(int, char, int32_t, double *, int32_t);
typedef int32_t (*syevd_fn)(int, char, char, int32_t, double *, int32_t, double *);
typedef int32_t (*gesdd_fn)(int, char, int32_t, int32_t, double *, int32_t, double *, double *, int32_t, double *,
                            int32_t);
typedef int32_t (*geqrf_fn)(int, int32_t, int32_t, double *, int32_t, double *);
typedef int32_t (*orgqr_fn)(int, int32_t, int32_t, int32_t, double *, int32_t, const double *);
/* LAPACKE_zgetrf/zgetri: complex128 matrices as interleaved (real, imaginary) pairs. */
typedef int32_t (*zgetrf_fn)(int, int32_t, int32_t, void *, int32_t, int32_t *);
typedef int32_t (*zgetri_fn)(int, int32_t, void *, int32_t, const int32_t *);
typedef int32_t (*zpotrf_fn)(int, char, int32_t, void *, int32_t);
/* cblas_cgemm/zgemm: alpha and beta by pointer, elements as interleaved (real, imaginary) pairs. */
typedef void (*complex_gemm_fn)(int, int, int, int32_t, int32_t, int32_t, const void *, const void *, int32_t,
                                const void *, int32_t, const void *, void *, int32_t);
typedef char *(*string_fn)(void);
typedef int (*get_threads_fn)(void);
typedef void (*set_threads_fn)(int);

static struct {
  int loaded;
  char path[1024];
  char error[1024];
  char preselected[32];
  sgemm_fn sgemm;
  dgemm_fn dgemm;
  sbgemm_fn sbgemm;
  getrf_fn getrf;
  getri_fn getri;
  potrf_fn potrf;
  syevd_fn syevd;
  gesdd_fn gesdd;
  geqrf_fn geqrf;
  orgqr_fn orgqr;
  complex_gemm_fn cgemm, zgemm;
  zgetrf_fn zgetrf;
  zgetri_fn zgetri;
  zpotrf_fn zpotrf;
  string_fn config, corename;
  get_threads_fn get_threads;
  set_threads_fn set_threads;
} blas;

static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;

const char *sg_blas_cpu_best_core(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  if (__builtin_cpu_supports("avx")) return "Sandybridge";
#endif
  return "";
}

int sg_blas_core_is_generic(const char *core) {
  // Cores with AVX2 kernels or better (OpenBLAS's names, compared without case).
  static const char *const vector_cores[] = {"haswell",   "zen",        "skylakex",   "cooperlake", "sapphirerapids",
                                             "excavator", "neoversen1", "neoversen2", "neoversev1", "neoversev2",
                                             "armv8sve",  "a64fx",      "power9",     "power10"};
  if (core == NULL || core[0] == 0) return 1;
  for (size_t i = 0; i < sizeof vector_cores / sizeof vector_cores[0]; i++)
    if (strcasecmp(core, vector_cores[i]) == 0) return 0;
  return 1;
}

static void *symbol(void *handle, void *fallback, const char *prefix, const char *name) {
  char full[128];
  snprintf(full, sizeof full, "%s%s", prefix, name);
  void *p = handle ? dlsym(handle, full) : NULL;
  if (p == NULL && fallback) p = dlsym(fallback, full);
  return p;
}

// Opens `name`; for the system OpenBLAS also its LAPACKE. Caller holds blas_lock.
static int open_library(const char *name, int system_library) {
  const char *user_core = getenv("OPENBLAS_CORETYPE");
  const char *core = (system_library && (user_core == NULL || user_core[0] == 0)) ? sg_blas_cpu_best_core() : "";
  if (core[0]) setenv("OPENBLAS_CORETYPE", core, 1);
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (core[0]) unsetenv("OPENBLAS_CORETYPE");
  if (handle == NULL) {
    snprintf(blas.error, sizeof blas.error, "%s", dlerror());
    return -1;
  }
  // A prefixed build (scipy-openblas) names everything scipy_*; the system one does not.
  const char *prefix = dlsym(handle, "scipy_cblas_sgemm") ? "scipy_" : "";
  void *lapacke = NULL;
  if (symbol(handle, NULL, prefix, "LAPACKE_dgetrf") == NULL) {
    lapacke = dlopen("liblapacke.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lapacke == NULL) lapacke = dlopen("liblapacke.so", RTLD_NOW | RTLD_LOCAL);
  }
  blas.sgemm = (sgemm_fn)symbol(handle, NULL, prefix, "cblas_sgemm");
  blas.dgemm = (dgemm_fn)symbol(handle, NULL, prefix, "cblas_dgemm");
  blas.sbgemm = (sbgemm_fn)symbol(handle, NULL, prefix, "cblas_sbgemm"); /* optional (OpenBLAS >= 0.3.10) */
  blas.getrf = (getrf_fn)symbol(handle, lapacke, prefix, "LAPACKE_dgetrf");
  blas.getri = (getri_fn)symbol(handle, lapacke, prefix, "LAPACKE_dgetri");
  blas.potrf = (potrf_fn)symbol(handle, lapacke, prefix, "LAPACKE_dpotrf");
  blas.syevd = (syevd_fn)symbol(handle, lapacke, prefix, "LAPACKE_dsyevd");
  blas.gesdd = (gesdd_fn)symbol(handle, lapacke, prefix, "LAPACKE_dgesdd");
  blas.geqrf = (geqrf_fn)symbol(handle, lapacke, prefix, "LAPACKE_dgeqrf");
  blas.orgqr = (orgqr_fn)symbol(handle, lapacke, prefix, "LAPACKE_dorgqr");
  blas.cgemm = (complex_gemm_fn)symbol(handle, NULL, prefix, "cblas_cgemm"); /* optional: complex matmul */
  blas.zgemm = (complex_gemm_fn)symbol(handle, NULL, prefix, "cblas_zgemm");
  blas.zgetrf = (zgetrf_fn)symbol(handle, lapacke, prefix, "LAPACKE_zgetrf"); /* optional: complex inv/det */
  blas.zgetri = (zgetri_fn)symbol(handle, lapacke, prefix, "LAPACKE_zgetri");
  blas.zpotrf = (zpotrf_fn)symbol(handle, lapacke, prefix, "LAPACKE_zpotrf"); /* optional: complex cholesky */
  blas.config = (string_fn)symbol(handle, NULL, prefix, "openblas_get_config");
  blas.corename = (string_fn)symbol(handle, NULL, prefix, "openblas_get_corename");
  blas.get_threads = (get_threads_fn)symbol(handle, NULL, prefix, "openblas_get_num_threads");
  blas.set_threads = (set_threads_fn)symbol(handle, NULL, prefix, "openblas_set_num_threads");
  if (!blas.sgemm || !blas.dgemm || !blas.getrf || !blas.getri || !blas.potrf || !blas.syevd || !blas.gesdd ||
      !blas.geqrf || !blas.orgqr) {
    snprintf(blas.error, sizeof blas.error, "%s lacks CBLAS or LAPACKE functions swiftgrad needs", name);
    return -1;
  }
  Dl_info info;
  if (dladdr((void *)blas.dgemm, &info) && info.dli_fname) snprintf(blas.path, sizeof blas.path, "%s", info.dli_fname);
  else snprintf(blas.path, sizeof blas.path, "%s", name);
  snprintf(blas.preselected, sizeof blas.preselected, "%s", core);
  blas.loaded = 1;
  return 0;
}

static int load_locked(const char *path) {
  if (blas.loaded) return 0;
  char tried[1024] = "";
  const char *env = getenv("SWIFTGRAD_BLAS_LIBRARY");
  const char *candidates[] = {env && env[0] ? env : NULL, path, "libscipy_openblas.so", "libopenblas.so.0",
                              "libopenblas.so"};
  // A library the user named is the only one tried: silently running another would hide the mistake.
  size_t count = env && env[0] ? 1 : sizeof candidates / sizeof candidates[0];
  for (size_t i = 0; i < count; i++) {
    if (candidates[i] == NULL) continue;
    int system_library = strstr(candidates[i], "scipy_openblas") == NULL;
    if (open_library(candidates[i], system_library) == 0) return 0;
    size_t used = strlen(tried);
    snprintf(tried + used, sizeof tried - used, "%s%s: %s", used ? "; " : "", candidates[i], blas.error);
  }
  snprintf(blas.error, sizeof blas.error,
           "no BLAS library could be loaded%s (install the Python package scipy-openblas32, or Debian's "
           "libopenblas0 and liblapacke, or set SWIFTGRAD_BLAS_LIBRARY); tried %s",
           count == 1 ? " from SWIFTGRAD_BLAS_LIBRARY" : "", tried);
  return -1;
}

int sg_blas_load(const char *path) {
  pthread_mutex_lock(&blas_lock);
  int status = load_locked(path);
  pthread_mutex_unlock(&blas_lock);
  return status;
}

int sg_blas_ready(void) {
  if (__atomic_load_n(&blas.loaded, __ATOMIC_ACQUIRE)) return 1;
  return sg_blas_load(NULL) == 0;
}

const char *sg_blas_error(void) { return blas.error; }
const char *sg_blas_library_path(void) { return blas.loaded ? blas.path : ""; }
const char *sg_blas_config(void) { return blas.loaded && blas.config ? blas.config() : ""; }
const char *sg_blas_corename(void) { return blas.loaded && blas.corename ? blas.corename() : ""; }
const char *sg_blas_preselected_core(void) { return blas.loaded ? blas.preselected : ""; }
int sg_blas_get_num_threads(void) { return blas.loaded && blas.get_threads ? blas.get_threads() : 0; }
void sg_blas_set_num_threads(int n) {
  if (sg_blas_ready() && blas.set_threads && n > 0) blas.set_threads(n);
}

// The wrappers below are only called after sg_blas_ready() returned 1 (BLAS.swift checks).
void sg_sgemm(int transA, int transB, int32_t m, int32_t n, int32_t k, float alpha, const float *a, int32_t lda,
              const float *b, int32_t ldb, float beta, float *c, int32_t ldc) {
  blas.sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c,
             ldc);
}
void sg_dgemm(int transA, int transB, int32_t m, int32_t n, int32_t k, double alpha, const double *a, int32_t lda,
              const double *b, int32_t ldb, double beta, double *c, int32_t ldc) {
  blas.dgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c,
             ldc);
}
int sg_blas_has_sbgemm(void) { return sg_blas_ready() && blas.sbgemm != NULL; }
void sg_sbgemm(int transA, int transB, int32_t m, int32_t n, int32_t k, const void *a, int32_t lda, const void *b,
               int32_t ldb, float *c, int32_t ldc) {
  blas.sbgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c,
              ldc);
}
int32_t sg_dgetrf(int32_t m, int32_t n, double *a, int32_t lda, int32_t *ipiv) {
  return blas.getrf(ROW_MAJOR, m, n, a, lda, ipiv);
}
int32_t sg_dgetri(int32_t n, double *a, int32_t lda, const int32_t *ipiv) {
  return blas.getri(ROW_MAJOR, n, a, lda, ipiv);
}
int32_t sg_dpotrf(char uplo, int32_t n, double *a, int32_t lda) { return blas.potrf(ROW_MAJOR, uplo, n, a, lda); }
int32_t sg_dsyevd(char jobz, char uplo, int32_t n, double *a, int32_t lda, double *w) {
  return blas.syevd(ROW_MAJOR, jobz, uplo, n, a, lda, w);
}
int32_t sg_dgesdd(char jobz, int32_t m, int32_t n, double *a, int32_t lda, double *s, double *u, int32_t ldu,
                  double *vt, int32_t ldvt) {
  return blas.gesdd(ROW_MAJOR, jobz, m, n, a, lda, s, u, ldu, vt, ldvt);
}
int32_t sg_dgeqrf(int32_t m, int32_t n, double *a, int32_t lda, double *tau) {
  return blas.geqrf(ROW_MAJOR, m, n, a, lda, tau);
}
int32_t sg_dorgqr(int32_t m, int32_t n, int32_t k, double *a, int32_t lda, const double *tau) {
  return blas.orgqr(ROW_MAJOR, m, n, k, a, lda, tau);
}

int sg_blas_has_complex_gemm(void) { return sg_blas_ready() && blas.cgemm != NULL && blas.zgemm != NULL; }
void sg_cgemm(int32_t m, int32_t n, int32_t k, const void *a, int32_t lda, const void *b, int32_t ldb, void *c,
              int32_t ldc) {
  const float one[2] = {1, 0}, zero[2] = {0, 0};
  blas.cgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, one, a, lda, b, ldb, zero, c, ldc);
}
void sg_zgemm(int32_t m, int32_t n, int32_t k, const void *a, int32_t lda, const void *b, int32_t ldb, void *c,
              int32_t ldc) {
  const double one[2] = {1, 0}, zero[2] = {0, 0};
  blas.zgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, one, a, lda, b, ldb, zero, c, ldc);
}

int sg_blas_has_complex_lu(void) { return sg_blas_ready() && blas.zgetrf != NULL && blas.zgetri != NULL; }
int32_t sg_zgetrf(int32_t m, int32_t n, void *a, int32_t lda, int32_t *ipiv) {
  return blas.zgetrf(ROW_MAJOR, m, n, a, lda, ipiv);
}
int32_t sg_zgetri(int32_t n, void *a, int32_t lda, const int32_t *ipiv) {
  return blas.zgetri(ROW_MAJOR, n, a, lda, ipiv);
}
int sg_blas_has_complex_cholesky(void) { return sg_blas_ready() && blas.zpotrf != NULL; }
int32_t sg_zpotrf(char uplo, int32_t n, void *a, int32_t lda) { return blas.zpotrf(ROW_MAJOR, uplo, n, a, lda); }
