// Where each element of a per-sample tensor finds its entry in a parameter broadcast over some axes
// (PReLU's alpha with shared_axes, Normalization's mean and variance over the kept axes).
#pragma once

#include <stdexcept>
#include <vector>

#include "layer.h"

namespace pmdl {

// full: the feature shape; param: the same rank, each dim equal to full's or 1 (broadcast). Returns, for
// every element of full in row-major order, the index of its parameter entry.
inline std::vector<int> broadcast_index(const Shape& full, const Shape& param) {
    if (full.size() != param.size()) throw std::invalid_argument("broadcast_index: ranks differ");
    std::vector<int> out(shape_size(full));
    std::vector<int> pos(full.size(), 0);
    for (size_t j = 0; j < out.size(); ++j) {
        long p = 0;
        for (size_t d = 0; d < full.size(); ++d) p = p * param[d] + (param[d] == 1 ? 0 : pos[d]);
        out[j] = (int)p;
        for (int d = (int)full.size() - 1; d >= 0; --d) {  // next position, last axis fastest
            if (++pos[d] < full[d]) break;
            pos[d] = 0;
        }
    }
    return out;
}

}  // namespace pmdl
