// pmdl::gemm as built for another processor (the portable kernel: ARM), checked without Python:
// every shape class (tiny, edge tails, narrow, few rows, the MLP's) and transpose against a double
// reference within the float32 error bound, and bit-equal on 1 and 2 threads. Run by tools/arm_check.sh.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "gemm.h"

int main() {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    const int shapes[][3] = {{1, 2, 2},     {32, 4, 32},   {4, 3, 32},     {64, 64, 64},   {13, 31, 33},
                             {15, 33, 257}, {100, 2, 700}, {256, 10, 512}, {1, 512, 784},  {2, 528, 300},
                             {700, 300, 300}, {256, 512, 784}, {784, 512, 256}, {7, 17, 300}};
    long checked = 0, out_of_bound = 0, thread_diffs = 0;
    for (const auto& s : shapes)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb) {
                const int m = s[0], n = s[1], k = s[2];
                std::vector<float> A((size_t)m * k), B((size_t)k * n), C0((size_t)m * n);
                for (float& x : A) x = uniform(rng);
                for (float& x : B) x = uniform(rng);
                for (float& x : C0) x = uniform(rng);
                std::vector<float> C1 = C0, C2 = C0;
                const int lda = ta ? m : k, ldb = tb ? k : n;
                pmdl::set_num_threads(1);
                pmdl::gemm(ta, tb, m, n, k, 0.75f, A.data(), lda, B.data(), ldb, 0.5f, C1.data(), n);
                pmdl::set_num_threads(2);
                pmdl::gemm(ta, tb, m, n, k, 0.75f, A.data(), lda, B.data(), ldb, 0.5f, C2.data(), n);
                for (int i = 0; i < m; ++i)
                    for (int j = 0; j < n; ++j) {
                        double ref = 0.0, scale = 0.0;
                        for (int p = 0; p < k; ++p) {
                            const double a = ta ? A[(size_t)p * m + i] : A[(size_t)i * k + p];
                            const double b = tb ? B[(size_t)j * k + p] : B[(size_t)p * n + j];
                            ref += a * b;
                            scale += std::fabs(a * b);
                        }
                        const size_t at = (size_t)i * n + j;
                        ref = 0.75 * ref + 0.5 * C0[at];
                        scale = 0.75 * scale + 0.5 * std::fabs(C0[at]);
                        out_of_bound += !(std::fabs(C1[at] - ref) <= (k + 3) * 1.2e-7 * scale + 1e-30);
                        thread_diffs += C1[at] != C2[at];
                        ++checked;
                    }
            }
    std::printf("kernel %s: %ld elements, %ld outside the float32 bound, %ld differ between 1 and 2 threads\n",
                pmdl::gemm_kernel_name(), checked, out_of_bound, thread_diffs);
    return out_of_bound || thread_diffs;
}
