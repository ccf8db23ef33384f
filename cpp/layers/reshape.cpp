// Flatten and Reshape: no arithmetic, the output is the input's floats (a batch is contiguous either way).
#include "reshape.h"

#include <stdexcept>

namespace pmdl {

Reshape::Reshape(const Attrs& attrs, const std::vector<Shape>& inputs) {
    check_inputs(attrs, inputs, 1, 1);
    const long size = shape_size(inputs[0]);
    if (attrs.kind() == "flatten") {
        out_shape_ = {(int)size};
        return;
    }
    const std::vector<long> target = attrs.ints("target_shape", -1, kMaxSize);
    long known = 1;
    int unknown = -1;
    for (size_t i = 0; i < target.size(); ++i) {
        if (target[i] == 0) throw std::invalid_argument("reshape: attribute 'target_shape' has a 0 entry");
        if (target[i] > 0) known *= target[i];
        else if (unknown >= 0) throw std::invalid_argument("reshape: attribute 'target_shape' has more than one -1");
        else unknown = (int)i;
    }
    if (target.empty() || (unknown < 0 && known != size) || (unknown >= 0 && size % known != 0)) {
        std::string t;
        for (long v : target) t += (t.empty() ? "" : ", ") + std::to_string(v);
        throw std::invalid_argument("reshape: target_shape (" + t + ") does not hold the " + std::to_string(size) +
                                    " values of input shape " + shape_text(inputs[0]));
    }
    for (long v : target) out_shape_.push_back((int)(v > 0 ? v : size / known));
}

void Reshape::backward(BackwardArgs& args) { pass_gradient(args.in[0], args.dout, args.rows * output_size()); }

PMDL_REGISTER_LAYER("flatten", Reshape);
PMDL_REGISTER_LAYER("reshape", Reshape);

}  // namespace pmdl
