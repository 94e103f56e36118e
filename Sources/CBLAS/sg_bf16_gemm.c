// Note [bfloat16 GEMM kernel]
// On CPUs with AVX512-BF16 (Intel Cooper Lake and later, AMD Zen 4 and later) one VDPBF16PS
// multiplies 32 bfloat16 pairs and adds the products into 16 float32 lanes: twice the
// multiply-adds of a float32 FMA per instruction. OpenBLAS's `cblas_sbgemm` uses it, but only in
// builds made with BUILD_BFLOAT16 (not the scipy-openblas32 wheel, not Debian's), so swiftgrad has
// its own kernel, chosen at run time by CPUID (the file is compiled for the baseline ISA; only
// the functions marked SG_BF16_TARGET use AVX-512).
//
// The layout is the usual one of BLIS and OpenBLAS. C (float32, row-major) is computed in tiles
// of MR x NR = 12 x 32 held in 24 zmm accumulators. op(B) is packed once into panels of NR
// columns, op(A) per thread into panels of MR rows, both as 32-bit words holding the bfloat16
// pair (k, k+1) of one row or column (the operand layout VDPBF16PS wants; an odd K is padded
// with a zero). The reduction dimension is cut into blocks of KC so that an A panel and a B
// panel stay in L1/L2; the first block stores C, the later ones add to it. Threads split the
// rows of C (sg_bf16_gemm_rows on a range of row panels); sg_bf16_gemm_pack_b runs first.
#include "sg_bf16_gemm.h"
#include "sg_blas.h"

#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define SG_HAVE_BF16_KERNEL 1
#include <immintrin.h>
#define SG_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#else
#define SG_HAVE_BF16_KERNEL 0
#define SG_BF16_TARGET
#endif

enum { MR = 12, NR = 32, KC = 768, MC = 16 * MR };

static int cpu_has_avx512_bf16(void) {
#if SG_HAVE_BF16_KERNEL
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0; // OSXSAVE
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0xE6) != 0xE6) return 0; // the OS saves the SSE, AVX and AVX-512 state
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  if (!(ebx & (1u << 16)) || !(ebx & (1u << 30)) || !(ebx & (1u << 31)) || !(ebx & (1u << 17))) return 0;
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
  return (eax >> 5) & 1;
#else
  return 0;
#endif
}

int sg_bf16_gemm_cpu_supported(void) {
  static int cached = -1;
  if (cached < 0) cached = cpu_has_avx512_bf16();
  return cached;
}

// Packed B: for every block of KC rows of op(B), ceil(n / NR) panels of kpairs(block) x NR words.
static int32_t kpairs_of(int32_t k) { return (k + 1) / 2; }
static int32_t panels_of(int32_t n, int32_t width) { return (n + width - 1) / width; }

size_t sg_bf16_gemm_packed_b_words(int32_t n, int32_t k) {
  return (size_t)kpairs_of(k) * (size_t)panels_of(n, NR) * NR;
}

static inline uint32_t pair(uint16_t lo, uint16_t hi) { return (uint32_t)lo | ((uint32_t)hi << 16); }

#if SG_HAVE_BF16_KERNEL
// Two rows p, p+1 of a row-major op(B), columns j0..j0+width: interleaved into 32-bit pairs.
SG_BF16_TARGET static void interleave_rows(const uint16_t *row0, const uint16_t *row1, int32_t width, uint32_t *out) {
  static const uint16_t lo_index[32] = {0, 32, 1, 33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
                                        8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
  static const uint16_t hi_index[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                        24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
  __mmask32 valid = width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1);
  __m512i a = _mm512_maskz_loadu_epi16(valid, row0);
  __m512i b = row1 ? _mm512_maskz_loadu_epi16(valid, row1) : _mm512_setzero_si512();
  __m512i lo = _mm512_permutex2var_epi16(a, _mm512_loadu_si512(lo_index), b);
  __m512i hi = _mm512_permutex2var_epi16(a, _mm512_loadu_si512(hi_index), b);
  _mm512_storeu_si512(out, lo);
  _mm512_storeu_si512(out + 16, hi);
}
#endif

// Column j of a transposed op(B) is row j of the stored matrix: its k-pairs are adjacent words.
static void pack_transposed_columns(const uint16_t *b, int32_t ldb, int32_t p0, int32_t kb, int32_t j0, int32_t width,
                                    uint32_t *out) {
  int32_t full = kb / 2;
  for (int32_t j = 0; j < width; j++) {
    const uint16_t *column = b + (size_t)(j0 + j) * ldb + p0;
    for (int32_t q = 0; q < full; q++) {
      uint32_t word;
      memcpy(&word, column + 2 * q, 4);
      out[(size_t)q * NR + j] = word;
    }
    if (kb & 1) out[(size_t)full * NR + j] = pair(column[kb - 1], 0);
  }
  for (int32_t q = 0; q < kpairs_of(kb); q++)
    for (int32_t j = width; j < NR; j++) out[(size_t)q * NR + j] = 0;
}

SG_BF16_TARGET static void pack_b_panel(const uint16_t *b, int transB, int32_t ldb, int32_t p0, int32_t kb, int32_t j0,
                                        int32_t width, uint32_t *out) {
  if (transB) {
    pack_transposed_columns(b, ldb, p0, kb, j0, width, out);
    return;
  }
  for (int32_t q = 0; q < kpairs_of(kb); q++) {
    int32_t p = p0 + 2 * q;
    const uint16_t *next = 2 * q + 1 < kb ? b + (size_t)(p + 1) * ldb + j0 : NULL;
#if SG_HAVE_BF16_KERNEL
    interleave_rows(b + (size_t)p * ldb + j0, next, width, out + (size_t)q * NR);
#else
    for (int32_t j = 0; j < NR; j++)
      out[(size_t)q * NR + j] = j < width ? pair(b[(size_t)p * ldb + j0 + j], next ? next[j] : 0) : 0;
#endif
  }
}

void sg_bf16_gemm_pack_b(int transB, int32_t n, int32_t k, const void *b, int32_t ldb, uint32_t *packed) {
  const uint16_t *src = (const uint16_t *)b;
  int32_t panels = panels_of(n, NR);
  uint32_t *out = packed;
  for (int32_t p0 = 0; p0 < k; p0 += KC) {
    int32_t kb = k - p0 < KC ? k - p0 : KC;
    for (int32_t panel = 0; panel < panels; panel++) {
      int32_t j0 = panel * NR;
      int32_t width = n - j0 < NR ? n - j0 : NR;
      pack_b_panel(src, transB, ldb, p0, kb, j0, width, out);
      out += (size_t)kpairs_of(kb) * NR;
    }
  }
}

// Rows i0..i0+rows (rows <= MR) of op(A), reduction block p0..p0+kb, as kpairs(kb) x MR words.
SG_BF16_TARGET static void pack_a_panel(const uint16_t *a, int transA, int32_t lda, int32_t i0, int32_t rows,
                                        int32_t p0, int32_t kb, uint32_t *out) {
  int32_t pairs = kpairs_of(kb);
  if (!transA) {
    for (int32_t i = 0; i < rows; i++) {
      const uint16_t *row = a + (size_t)(i0 + i) * lda + p0;
      int32_t q = 0;
      for (; 2 * q + 1 < kb; q++) {
        uint32_t word;
        memcpy(&word, row + 2 * q, 4);
        out[(size_t)q * MR + i] = word;
      }
      if (q < pairs) out[(size_t)q * MR + i] = pair(row[2 * q], 0); // odd block end
    }
  } else {
    // Rows p, p+1 of the stored matrix hold the pair (p, p+1) of MR consecutive rows of op(A).
    for (int32_t q = 0; q < pairs; q++) {
      int32_t p = p0 + 2 * q;
      const uint16_t *r0 = a + (size_t)p * lda + i0;
      const uint16_t *r1 = 2 * q + 1 < kb ? r0 + lda : NULL;
#if SG_HAVE_BF16_KERNEL
      uint32_t words[NR];
      interleave_rows(r0, r1, rows, words);
      memcpy(out + (size_t)q * MR, words, MR * sizeof(uint32_t));
#else
      for (int32_t i = 0; i < rows; i++) out[(size_t)q * MR + i] = pair(r0[i], r1 ? r1[i] : 0);
#endif
    }
    return; // rows past `rows` came out zero
  }
  for (int32_t i = rows; i < MR; i++)
    for (int32_t q = 0; q < pairs; q++) out[(size_t)q * MR + i] = 0;
}

#if SG_HAVE_BF16_KERNEL
// The tile C[0..rows, 0..cols] of A panel x B panel over `pairs` k-pairs, plus the float32 partial
// sums in `c` when `accumulate`; stored as float32 into `c`, or rounded into bfloat16 `out` when
// this is the last reduction block (`out` non-NULL).
SG_BF16_TARGET static void micro_kernel(int32_t pairs, const uint32_t *a, const uint32_t *b, float *c, uint16_t *out,
                                        int32_t ldc, int32_t rows, int32_t cols, int accumulate) {
  __m512 acc[MR][2];
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
  for (int32_t q = 0; q < pairs; q++) {
    __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
    __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 16);
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
    }
    a += MR;
    b += NR;
  }
  __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
  __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
#pragma clang loop unroll(full)
  for (int i = 0; i < MR; i++) {
    if (i >= rows) continue;
    if (accumulate) {
      const float *partial = c + (size_t)i * ldc;
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_maskz_loadu_ps(m0, partial));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_maskz_loadu_ps(m1, partial + 16));
    }
    if (out) {
      uint16_t *row = out + (size_t)i * ldc;
      _mm256_mask_storeu_epi16(row, m0, (__m256i)_mm512_cvtneps_pbh(acc[i][0]));
      _mm256_mask_storeu_epi16(row + 16, m1, (__m256i)_mm512_cvtneps_pbh(acc[i][1]));
    } else {
      float *row = c + (size_t)i * ldc;
      _mm512_mask_storeu_ps(row, m0, acc[i][0]);
      _mm512_mask_storeu_ps(row + 16, m1, acc[i][1]);
    }
  }
}
#endif

size_t sg_bf16_gemm_workspace_words(void) { return (size_t)MC * (KC / 2); }

int32_t sg_bf16_gemm_block_depth(void) { return KC; }

void sg_bf16_gemm_rows(int transA, int32_t panel_begin, int32_t panel_end, int32_t m, int32_t n, int32_t k,
                       const void *a, int32_t lda, const uint32_t *packed_b, float *partial, uint16_t *c, int32_t ldc,
                       uint32_t *packed_a) {
#if SG_HAVE_BF16_KERNEL
  const uint16_t *src = (const uint16_t *)a;
  int32_t b_panels = panels_of(n, NR);
  int32_t row_end = panel_end * MR < m ? panel_end * MR : m;
  if (k == 0) {
    for (int32_t i = panel_begin * MR; i < row_end; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(uint16_t));
    return;
  }
  const uint32_t *b_block = packed_b;
  for (int32_t p0 = 0; p0 < k; p0 += KC) {
    int32_t kb = k - p0 < KC ? k - p0 : KC;
    int32_t pairs = kpairs_of(kb);
    int last = p0 + kb >= k;
    for (int32_t i0 = panel_begin * MR; i0 < row_end; i0 += MC) {
      int32_t block_rows = row_end - i0 < MC ? row_end - i0 : MC;
      int32_t a_panels = panels_of(block_rows, MR);
      for (int32_t panel = 0; panel < a_panels; panel++) {
        int32_t rows = block_rows - panel * MR < MR ? block_rows - panel * MR : MR;
        pack_a_panel(src, transA, lda, i0 + panel * MR, rows, p0, kb, packed_a + (size_t)panel * pairs * MR);
      }
      for (int32_t jp = 0; jp < b_panels; jp++) {
        int32_t j0 = jp * NR;
        int32_t cols = n - j0 < NR ? n - j0 : NR;
        const uint32_t *b_panel = b_block + (size_t)jp * pairs * NR;
        for (int32_t panel = 0; panel < a_panels; panel++) {
          int32_t i = i0 + panel * MR;
          int32_t rows = block_rows - panel * MR < MR ? block_rows - panel * MR : MR;
          size_t offset = (size_t)i * ldc + j0;
          micro_kernel(pairs, packed_a + (size_t)panel * pairs * MR, b_panel, partial ? partial + offset : NULL,
                       last ? c + offset : NULL, ldc, rows, cols, p0 > 0);
        }
      }
    }
    b_block += (size_t)pairs * b_panels * NR;
  }
#else
  (void)transA, (void)panel_begin, (void)panel_end, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)packed_b;
  (void)partial, (void)c, (void)ldc, (void)packed_a;
#endif
}

int32_t sg_bf16_gemm_row_panels(int32_t m) { return panels_of(m, MR); }

// Which bfloat16 GEMM matmul uses (SWIFTGRAD_BF16_GEMM, read at every call so that tests and
// users can switch it): "auto" (default) the BLAS's cblas_sbgemm when exported, else this file's
// kernel when the CPU has AVX512-BF16, else float32 sgemm on widened operands; "blas", "native"
// and "off" ask for one of them (falling back to widening when it is not there).
int sg_bf16_gemm_choice(void) {
  const char *requested = getenv("SWIFTGRAD_BF16_GEMM");
  int auto_choice = !requested || !*requested || strcmp(requested, "auto") == 0;
  if ((auto_choice || strcmp(requested, "blas") == 0) && sg_blas_has_sbgemm()) return SG_BF16_GEMM_BLAS;
  if ((auto_choice || strcmp(requested, "native") == 0) && sg_bf16_gemm_cpu_supported()) return SG_BF16_GEMM_NATIVE;
  return SG_BF16_GEMM_WIDEN;
}

const char *sg_bf16_gemm_name(int choice) {
  switch (choice) {
    case SG_BF16_GEMM_BLAS: return "the BLAS's cblas_sbgemm";
    case SG_BF16_GEMM_NATIVE: return "swiftgrad's AVX512-BF16 kernel";
    default: return "float32 sgemm on widened operands";
  }
}
