// Embedding kernels (embedding.h).
#include "embedding.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "../parallel.h"
#include "window.h"

namespace pmdl {

void embedding_rows(const float* ids, long count, long per_sample, int input_dim, int* rows_out) {
    if (per_sample < 1) per_sample = 1;
    for (long i = 0; i < count; ++i) {
        const float v = ids[i];
        // Keras casts other dtypes to int32 (toward zero); out of int32's range (or NaN) is out of range here.
        const bool finite_int = std::isfinite(v) && std::fabs(v) < 2147483648.0f;
        long id = finite_int ? (long)v : 0;
        const long row = id < 0 ? id + input_dim : id;
        if (!finite_int || row < 0 || row >= input_dim) {
            std::string text = finite_int ? std::to_string(id) : std::to_string(v);
            throw std::out_of_range("Embedding: indices[" + std::to_string(i / per_sample) + "," +
                                    std::to_string(i % per_sample) + "] = " + text + " is not in [0, " +
                                    std::to_string(input_dim) + ")");
        }
        rows_out[i] = (int)row;
    }
}

void embedding_forward(const int* rows, long count, int dim, const float* table, float* y) {
    // Slices of lookups, not one lookup per claim: a row of 16 floats is too little work to share a
    // counter over (8,192 claims per batch of 32 x 256 tokens made two threads slower than one).
    for_slices(count, dim, kParallelFloatsMin, [&](long i0, long i1) {
        for (long i = i0; i < i1; ++i) {
            const float* src = table + (long)rows[i] * dim;
            std::copy(src, src + dim, y + i * dim);
        }
    });
}

void embedding_backward(const int* rows, long count, int input_dim, int dim, const float* dy, float* dtable) {
    // Threads take column blocks of the table (each element's sum stays in lookup order).
    constexpr int kBlock = 64;
    const long blocks = (dim + kBlock - 1) / kBlock;
    for_items(blocks, (double)(count + input_dim) * kBlock, kParallelFloatsMin, [&](long b) {
        const int j0 = (int)(b * kBlock), j1 = std::min(dim, j0 + kBlock);
        for (long r = 0; r < input_dim; ++r) std::fill(dtable + r * dim + j0, dtable + r * dim + j1, 0.0f);
        for (long i = 0; i < count; ++i) {
            float* dst = dtable + (long)rows[i] * dim;
            const float* src = dy + i * dim;
            for (int j = j0; j < j1; ++j) dst[j] += src[j];
        }
    });
}

}  // namespace pmdl

// --- the layer kind "embedding" ------------------------------------------------------------------

namespace pmdl {

Embedding::Embedding(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    input_dim_ = (int)attrs.integer("input_dim", 1, 1L << 24);  // larger ids are not exact in float32
    dim_ = (int)attrs.integer("output_dim", 1, kMaxSize - 1);
    if ((long)input_dim_ * dim_ > kMaxSize)
        throw std::invalid_argument("embedding: table of " + std::to_string(input_dim_) + " x " +
                                    std::to_string(dim_) + " is too large");
    ids_ = shape_size(inputs[0]);
    out_shape_ = inputs[0];
    out_shape_.push_back(dim_);
    if (shape_size(out_shape_) > kMaxSize) throw std::invalid_argument("embedding: output is too large");
    param_specs_.push_back({"embeddings", {input_dim_, dim_}, true, true});
}

void Embedding::reserve(int rows) {
    y_.resize((long)rows * output_size());
    rows_.resize((size_t)rows * ids_);
}

const float* Embedding::forward(const ForwardArgs& args) {
    const long count = (long)args.rows * ids_;
    embedding_rows(args.in[0], count, ids_, input_dim_, rows_.data());
    embedding_forward(rows_.data(), count, dim_, params[0], y_.data());
    return y_.data();
}

void Embedding::backward(BackwardArgs& args) {
    embedding_backward(rows_.data(), (long)args.rows * ids_, input_dim_, dim_, args.dout, grads[0]);
    lookups_ = {rows_.data(), args.dout, (long)args.rows * ids_, dim_};
    InputGrad& in = args.in[0];
    if (in.d && !in.accumulate) std::fill(in.d, in.d + (long)args.rows * ids_, 0.0f);  // ids have no gradient
}

RowSlices Embedding::lookups(int) const { return lookups_; }

PMDL_REGISTER_LAYER("embedding", Embedding);

}  // namespace pmdl
