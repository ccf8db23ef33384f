// Embedding kernels: rows of a (input_dim x dim) table looked up by integer ids that travel as float32.
#pragma once

namespace pmdl {

// The row of each id as Keras 3 takes it: the float is cast to an integer toward zero (1.7 -> 1), a
// negative id counts from the end (-1 -> the last row). Throws std::out_of_range naming the first bad
// id and its position, as TF does ("indices[3,1] = 10 is not in [0, 10)"), before anything is read;
// `per_sample` ids make one sample (the position is printed as [sample, index within it]).
// rows_out (count ints) receives the rows.
void embedding_rows(const float* ids, long count, long per_sample, int input_dim, int* rows_out);

// y (count x dim) = table rows.
void embedding_forward(const int* rows, long count, int dim, const float* table, float* y);

// dtable (input_dim x dim) overwritten: zero, plus dy's row for every lookup, in lookup order (a
// dense gradient, so the optimizers update the whole table as Keras' dense update does; the layer also
// hands them dy's rows, Embedding::lookups, which Keras 3 squares one by one).
void embedding_backward(const int* rows, long count, int input_dim, int dim, const float* dy, float* dtable);

}  // namespace pmdl

#include <vector>

#include "layer.h"

namespace pmdl {

// The layer kind "embedding": ids of any input shape -> (..., output_dim). Attributes: input_dim,
// output_dim. The ids are checked (embedding_rows) before anything is read; their gradient is zero.
class Embedding : public Layer {
public:
    Embedding(const Attrs& attrs, const std::vector<Shape>& inputs);
    void reserve(int rows) override;
    const float* forward(const ForwardArgs& args) override;
    void backward(BackwardArgs& args) override;
    RowSlices lookups(int param) const override;  // the table's gradient: one row of dout per id

private:
    int input_dim_ = 0, dim_ = 0;
    long ids_ = 0;  // ids per sample
    Floats y_;
    std::vector<int> rows_;
    RowSlices lookups_;  // of the last backward
};

}  // namespace pmdl
