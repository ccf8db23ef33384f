// Internal to gemm: packing of A and B panels, templated on the register tile (MR, NR), in plain loops.
// Included by gemm_avx2.cpp and gemm_portable.cpp so the copies are compiled with that file's
// flags. The portable kernel packs with these; AVX2's main 6 x 16 tile and the AVX-512 tiles have
// their own, with 8 x 8 and 16 x 16 register transposes (AVX2 keeps these for its 1-row tile and
// the tiny transposed products of its direct path).
// The functions are `static` (internal linkage): an AVX-512 copy must never be picked by the
// linker for a caller on another CPU, which shared inline/template symbols would allow.
#pragma once

namespace pmdl::detail {

template <int MR>
static void pack_a_panels(int mc, int kc, const float* a, long lda, bool trans, float* out) {
    for (int i0 = 0; i0 < mc; i0 += MR, out += (long)MR * kc) {
        const int mr = mc - i0 < MR ? mc - i0 : MR;
        if (trans) {  // rows of op(A) are contiguous in memory: copy MR floats per column p
            for (int p = 0; p < kc; ++p) {
                const float* src = a + (long)p * lda + i0;
                float* dst = out + (long)p * MR;
                for (int i = 0; i < mr; ++i) dst[i] = src[i];
                for (int i = mr; i < MR; ++i) dst[i] = 0.0f;
            }
        } else if (mr == MR) {  // gather: read MR rows in step, write one MR-wide column per p
            const float* src = a + (long)i0 * lda;
            for (int p = 0; p < kc; ++p)
                for (int i = 0; i < MR; ++i) out[(long)p * MR + i] = src[(long)i * lda + p];
        } else {
            const float* src = a + (long)i0 * lda;
            for (int p = 0; p < kc; ++p) {
                for (int i = 0; i < mr; ++i) out[(long)p * MR + i] = src[(long)i * lda + p];
                for (int i = mr; i < MR; ++i) out[(long)p * MR + i] = 0.0f;
            }
        }
    }
}

template <int NR>
static void pack_b_panels(int kc, int nc, const float* b, long ldb, bool trans, float* out) {
    for (int j0 = 0; j0 < nc; j0 += NR, out += (long)NR * kc) {
        const int nr = nc - j0 < NR ? nc - j0 : NR;
        if (!trans) {  // rows of op(B) are contiguous: copy NR floats per row p
            for (int p = 0; p < kc; ++p) {
                const float* src = b + (long)p * ldb + j0;
                float* dst = out + (long)p * NR;
                if (nr == NR) {
                    for (int j = 0; j < NR; ++j) dst[j] = src[j];
                } else {
                    for (int j = 0; j < nr; ++j) dst[j] = src[j];
                    for (int j = nr; j < NR; ++j) dst[j] = 0.0f;
                }
            }
        } else {  // columns of op(B) are contiguous: transpose in blocks of 8 rows of kc
            int p = 0;
            for (; p + 8 <= kc; p += 8) {
                float* dst = out + (long)p * NR;
                for (int j = 0; j < nr; ++j) {
                    const float* src = b + (long)(j0 + j) * ldb + p;
                    for (int q = 0; q < 8; ++q) dst[q * NR + j] = src[q];
                }
                for (int j = nr; j < NR; ++j)
                    for (int q = 0; q < 8; ++q) dst[q * NR + j] = 0.0f;
            }
            for (; p < kc; ++p) {
                float* dst = out + (long)p * NR;
                for (int j = 0; j < nr; ++j) dst[j] = b[(long)(j0 + j) * ldb + p];
                for (int j = nr; j < NR; ++j) dst[j] = 0.0f;
            }
        }
    }
}

}  // namespace pmdl::detail
