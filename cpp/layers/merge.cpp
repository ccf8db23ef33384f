// Merge layers. Keras folds the elementwise ones left to right (output = op(output, inputs[i])), and
// TF's gradient of maximum/minimum sends the gradient to the first argument on ties (its mask is
// x >= y, resp. x <= y): so on ties the whole gradient goes to the first of the tied inputs.
// Average divides the sum by the input count (as Keras: sum / n), and its gradient is dout / n.
#include "merge.h"

#include <algorithm>
#include <stdexcept>

namespace pmdl {

namespace {
Merge::Op merge_op(const std::string& kind) {
    if (kind == "add") return Merge::Op::Add;
    if (kind == "subtract") return Merge::Op::Subtract;
    if (kind == "multiply") return Merge::Op::Multiply;
    if (kind == "average") return Merge::Op::Average;
    if (kind == "maximum") return Merge::Op::Maximum;
    if (kind == "minimum") return Merge::Op::Minimum;
    throw std::invalid_argument("not a merge layer kind: " + kind);
}
}  // namespace

Merge::Merge(const Attrs& attrs, const std::vector<Shape>& inputs) : op_(merge_op(attrs.kind())) {
    if (op_ == Op::Subtract) check_inputs(attrs, inputs, 2, 2);
    else check_inputs(attrs, inputs, 2, 1 << 30);
    for (const Shape& s : inputs)
        if (s != inputs[0])
            throw std::invalid_argument(attrs.kind() + " expects inputs of one shape, got " + shape_text(inputs[0]) +
                                        " and " + shape_text(s));
    out_shape_ = inputs[0];
}

void Merge::reserve(int rows) { out_.resize((long)rows * output_size()); }

const float* Merge::forward(const ForwardArgs& args) {
    x_ = args.in;
    const long n = args.rows * output_size();
    float* out = out_.data();
    std::copy(x_[0], x_[0] + n, out);
    for (size_t k = 1; k < x_.size(); ++k) {
        const float* x = x_[k];
        switch (op_) {
            case Op::Add: case Op::Average: for (long j = 0; j < n; ++j) out[j] += x[j]; break;
            case Op::Subtract: for (long j = 0; j < n; ++j) out[j] -= x[j]; break;
            case Op::Multiply: for (long j = 0; j < n; ++j) out[j] *= x[j]; break;
            case Op::Maximum: for (long j = 0; j < n; ++j) out[j] = out[j] >= x[j] ? out[j] : x[j]; break;
            case Op::Minimum: for (long j = 0; j < n; ++j) out[j] = out[j] <= x[j] ? out[j] : x[j]; break;
        }
    }
    if (op_ == Op::Average) {
        const float count = (float)x_.size();
        for (long j = 0; j < n; ++j) out[j] /= count;
    }
    return out;
}

void Merge::backward(BackwardArgs& args) {
    const long n = args.rows * output_size();
    const float* dout = args.dout;
    const int count = (int)x_.size();
    // Inputs one after another: the same tensor given twice gets its two contributions in order.
    for (int k = 0; k < count; ++k) {
        InputGrad& g = args.in[k];
        if (!g.d) continue;
        float* d = g.d;
        const bool acc = g.accumulate;
        auto put = [&](long j, float v) { d[j] = acc ? d[j] + v : v; };
        switch (op_) {
            case Op::Add: for (long j = 0; j < n; ++j) put(j, dout[j]); break;
            case Op::Subtract: for (long j = 0; j < n; ++j) put(j, k == 0 ? dout[j] : -dout[j]); break;
            case Op::Average: for (long j = 0; j < n; ++j) put(j, dout[j] / (float)count); break;
            case Op::Multiply:
                // ((x0 x1) x2) ...: d/d x_k = dout · x_{count-1} ··· x_{k+1} · (x0 ··· x_{k-1}), in TF's order.
                for (long j = 0; j < n; ++j) {
                    float g_acc = dout[j];
                    for (int i = count - 1; i > std::max(k, 0) ; --i) g_acc *= x_[i][j];
                    if (k > 0) {
                        float prefix = x_[0][j];
                        for (int i = 1; i < k; ++i) prefix *= x_[i][j];
                        g_acc *= prefix;
                    }
                    put(j, g_acc);
                }
                break;
            case Op::Maximum: case Op::Minimum:
                for (long j = 0; j < n; ++j) {  // the first input holding the fold's result wins
                    int win = 0;
                    float best = x_[0][j];
                    for (int i = 1; i < count; ++i) {
                        const bool keep = op_ == Op::Maximum ? best >= x_[i][j] : best <= x_[i][j];
                        if (!keep) { best = x_[i][j]; win = i; }
                    }
                    put(j, win == k ? dout[j] : 0.0f);
                }
                break;
        }
    }
}

PMDL_REGISTER_LAYER("add", Merge);
PMDL_REGISTER_LAYER("subtract", Merge);
PMDL_REGISTER_LAYER("multiply", Merge);
PMDL_REGISTER_LAYER("average", Merge);
PMDL_REGISTER_LAYER("maximum", Merge);
PMDL_REGISTER_LAYER("minimum", Merge);

// --- Concatenate --------------------------------------------------------------------------------

Concatenate::Concatenate(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 2, 1 << 30);
    const int rank = (int)inputs[0].size();
    // Keras' axis counts the batch axis: -1 is the last feature axis, 1 the first; 0 (the batch) is not allowed.
    const long axis_attr = attrs.integer("axis", -rank, rank, -1);
    if (axis_attr == 0)
        throw std::invalid_argument("concatenate: attribute 'axis' must not be 0 (the batch axis), got 0");
    const int axis = axis_attr < 0 ? rank + (int)axis_attr : (int)axis_attr - 1;  // index into feature dims
    for (const Shape& s : inputs) {
        bool ok = (int)s.size() == rank;
        for (int i = 0; ok && i < rank; ++i) ok = i == axis || s[i] == inputs[0][i];
        if (!ok)
            throw std::invalid_argument("concatenate expects inputs that match except along axis " +
                                        std::to_string(axis_attr) + ", got " + shape_text(inputs[0]) + " and " +
                                        shape_text(s));
    }
    for (int i = 0; i < axis; ++i) outer_ *= inputs[0][i];
    out_shape_ = inputs[0];
    out_shape_[axis] = 0;
    for (const Shape& s : inputs) {
        out_shape_[axis] += s[axis];
        inner_.push_back(shape_size(s) / outer_);
        inner_total_ += inner_.back();
    }
}

void Concatenate::reserve(int rows) { out_.resize((long)rows * output_size()); }

const float* Concatenate::forward(const ForwardArgs& args) {
    const long blocks = args.rows * outer_;
    float* out = out_.data();
    for (long b = 0; b < blocks; ++b) {
        float* o = out + b * inner_total_;
        for (size_t k = 0; k < inner_.size(); ++k) {
            const float* x = args.in[k] + b * inner_[k];
            o = std::copy(x, x + inner_[k], o);
        }
    }
    return out;
}

void Concatenate::backward(BackwardArgs& args) {
    const long blocks = args.rows * outer_;
    long at = 0;
    for (size_t k = 0; k < inner_.size(); ++k) {
        InputGrad& g = args.in[k];
        const long w = inner_[k];
        if (g.d)
            for (long b = 0; b < blocks; ++b) {
                const float* s = args.dout + b * inner_total_ + at;
                float* d = g.d + b * w;
                for (long c = 0; c < w; ++c) d[c] = g.accumulate ? d[c] + s[c] : s[c];
            }
        at += w;
    }
}

PMDL_REGISTER_LAYER("concatenate", Concatenate);

}  // namespace pmdl
