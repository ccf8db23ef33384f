// Counter-based draws for the noise layers (Dropout, GaussianNoise, AlphaDropout), as TF draws from Philox:
// element j's draw is an integer hash of j under a key taken once per call from the network's stream, so
// the loops vectorise and the same seed draws the same values whatever the thread count. Wellons'
// lowbias32 hash, twice, the key between the rounds. Elements past 2^32 would repeat draws.
#pragma once

#include <cstdint>

namespace pmdl {

inline uint32_t lowbias32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    return x ^ (x >> 16);
}

// 32 random bits for counter j under key.
inline uint32_t counter_bits(uint32_t j, uint64_t key) {
    return lowbias32(lowbias32(j + (uint32_t)key) ^ (uint32_t)(key >> 32));
}

// Uniform in [0, 1) with 24 bits.
inline float counter_uniform(uint32_t j, uint64_t key) {
    return (float)(int32_t)(counter_bits(j, key) >> 8) * (1.0f / 16777216.0f);
}

}  // namespace pmdl
