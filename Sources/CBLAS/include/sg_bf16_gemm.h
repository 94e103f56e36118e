// swiftgrad's bfloat16 GEMM for CPUs with AVX512-BF16 (Note [bfloat16 GEMM kernel],
// sg_bf16_gemm.c). C (bfloat16, row-major, ldc) = op(A) op(B) for bfloat16 A (m x k) and B (k x n),
// accumulated in float32 and rounded once.
// Use: pack op(B) once with sg_bf16_gemm_pack_b into sg_bf16_gemm_packed_b_words(n, k) words,
// then call sg_bf16_gemm_rows for ranges of the sg_bf16_gemm_row_panels(m) row panels of C
// (concurrently from several threads, each with its own workspace of
// sg_bf16_gemm_workspace_words() words). When k > sg_bf16_gemm_block_depth() the float32 partial
// sums go through `partial` (m x ldc floats; NULL otherwise). Only call these when
// sg_bf16_gemm_cpu_supported().
#ifndef SG_BF16_GEMM_H
#define SG_BF16_GEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { SG_BF16_GEMM_WIDEN = 0, SG_BF16_GEMM_BLAS = 1, SG_BF16_GEMM_NATIVE = 2 };

int sg_bf16_gemm_cpu_supported(void);
// SG_BF16_GEMM_*: the kernel bfloat16 matmul uses now (SWIFTGRAD_BF16_GEMM), and its description.
int sg_bf16_gemm_choice(void);
const char *sg_bf16_gemm_name(int choice);

size_t sg_bf16_gemm_packed_b_words(int32_t n, int32_t k);
void sg_bf16_gemm_pack_b(int transB, int32_t n, int32_t k, const void *b, int32_t ldb, uint32_t *packed);
int32_t sg_bf16_gemm_row_panels(int32_t m);
size_t sg_bf16_gemm_workspace_words(void);
int32_t sg_bf16_gemm_block_depth(void);
void sg_bf16_gemm_rows(int transA, int32_t panel_begin, int32_t panel_end, int32_t m, int32_t n, int32_t k,
                       const void *a, int32_t lda, const uint32_t *packed_b, float *partial, uint16_t *c, int32_t ldc,
                       uint32_t *packed_a);

#ifdef __cplusplus
}
#endif
#endif
