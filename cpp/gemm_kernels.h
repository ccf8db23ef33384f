// Internal to gemm: the table each instruction-set file (gemm_avx512.cpp, gemm_avx2.cpp,
// gemm_portable.cpp) exports, and that gemm.cpp picks from at run time.
#pragma once

namespace pmdl::detail {

// One micro-kernel with the packing routines that feed it (their layouts depend on MR and NR).
struct GemmKernel {
    const char* name;
    int mr, nr;  // register tile of C: MR rows x NR columns
    // Pack op(A)[0:mc, 0:kc] into ceil(mc/MR) panels of MR x kc (column p holds MR consecutive
    // rows, zero-padded). `a` points at op(A)(0,0); element (i,p) is a[i*lda+p], or a[p*lda+i] if trans.
    void (*pack_a)(int mc, int kc, const float* a, long lda, bool trans, float* out);
    // Pack op(B)[0:kc, 0:nc] into ceil(nc/NR) panels of kc x NR (row p holds NR columns,
    // zero-padded). Element (p,j) is b[p*ldb+j], or b[j*ldb+p] if trans.
    void (*pack_b)(int kc, int nc, const float* b, long ldb, bool trans, float* out);
    // c[0:mr, 0:nr] = alpha * (A . B) + beta * c (beta == 0: c is not read), over kc steps p.
    // A(i, p) = a[i * a_rs + p * a_cs] for rows i < mr (later rows are not read): a packed panel
    // (a_rs = 1, a_cs = MR) or op(A) in place (lda, 1 or, transposed, 1, lda). Row p of B is the
    // NR floats at b + p * b_step: a packed panel (b_step = NR) or B in place (ldb).
    // Full and partial tiles round the same way, so results do not depend on where tiles fall.
    void (*micro)(int kc, const float* a, long a_rs, long a_cs, const float* b, long b_step, float* c,
                  long ldc, int mr, int nr, float alpha, float beta);
    // Register-only FMA loop of `iters` iterations; returns the floating-point operations done.
    double (*fma_loop)(long iters);
    // Optional direct path for tiny products (n <= 64), same contract as pmdl::gemm;
    // nullptr: gemm.cpp's plain loop is used.
    void (*direct)(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, long lda,
                   const float* b, long ldb, float beta, float* c, long ldc);
    // Optional second tile of the same instruction set, used when it pads op(B)'s columns less
    // (narrow outputs such as n = 10); nullptr: this tile serves every shape.
    const GemmKernel* narrow;
    // Optional tile for outputs of at most `few_rows` rows (predictions of a sample or two): the
    // main tile would run all MR of its rows anyway. nullptr: the other tiles serve them.
    const GemmKernel* few;
    int few_rows;
    // The micro-kernel reads only nr columns of B's rows, so a partial panel too can be read in place.
    bool partial_b_in_place;
};

extern const GemmKernel kernel_avx512;
extern const GemmKernel kernel_avx2;
extern const GemmKernel kernel_portable;

}  // namespace pmdl::detail
