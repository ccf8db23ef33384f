// The one interface every layer kind implements, the attribute map layers are built from, and the
// registry of layer kinds.
//
// How to add a layer kind (e.g. "my_layer"):
//   1. cpp/layers/my_layer.h/.cpp: `class MyLayer : public Layer`. Its constructor reads its attributes
//      (attrs.integer("units", 1, kMaxSize), ...; throw std::invalid_argument naming the key and the value
//      for anything else), checks its input shapes (check_inputs), and sets out_shape_ and param_specs_.
//      Implement forward() and backward(); override reserve() if it keeps buffers of its own.
//   2. At the bottom of the .cpp: PMDL_REGISTER_LAYER("my_layer", MyLayer); add the .cpp to CMakeLists.txt.
//   3. Python: pyminidl/layers/<family>.py, a Layer subclass whose _spec() returns ("my_layer", attrs).
// The graph (cpp/graph.*) owns parameters, gradients and the gradient buffers between layers; a layer
// owns its outputs and workspaces. Tensors of a batch are `rows x size(shape)` contiguous floats, shapes
// being per-sample feature dims, channels last (as Keras).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "../activations.h"
#include "../aligned.h"
#include "../gemm.h"
#include "../optimizers.h"

namespace pmdl {

using Shape = std::vector<int>;  // per-sample feature dims, without the batch axis
long shape_size(const Shape& s);
std::string shape_text(const Shape& s);  // "(28, 28, 1)"

// Largest size of one axis or of one sample's tensor (as Python's _check.MAX_SIZE): products stay in a long.
constexpr long kMaxSize = 1L << 31;

// xoshiro256**: fast, small state, good enough for shuffles and for the keys of dropout masks.
struct Rng {
    uint64_t s[4];
    explicit Rng(uint64_t seed = 0);
    uint64_t next();
    uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }
};

// A layer's attributes: key -> number or list of integers (Python: {"units": 8, "kernel_size": [3, 3]}).
// The getters throw std::invalid_argument naming the layer kind, the key and the value; the graph checks
// after construction that the layer read every key it was given (a misspelt key is an error).
class Attrs {
public:
    using Value = std::variant<double, std::vector<long>>;
    Attrs() = default;
    Attrs(std::string kind, std::map<std::string, Value> values) : kind_(std::move(kind)), values_(std::move(values)) {}

    bool has(const std::string& key) const { return values_.count(key) != 0; }
    // A number in [lo, hi]; `fallback` when the key is absent (without one, absent is an error).
    double number(const std::string& key, double lo, double hi) const;
    double number(const std::string& key, double lo, double hi, double fallback) const;
    // An integer in [lo, hi] (a number with no fractional part).
    long integer(const std::string& key, long lo, long hi) const;
    long integer(const std::string& key, long lo, long hi, long fallback) const;
    bool flag(const std::string& key, bool fallback) const;  // 0 or 1
    // A list of integers, each in [lo, hi]; `length` >= 0 requires that many entries.
    std::vector<long> ints(const std::string& key, long lo, long hi, int length = -1) const;
    std::vector<long> ints(const std::string& key, long lo, long hi, int length, std::vector<long> fallback) const;

    const std::string& kind() const { return kind_; }
    // Throws naming the first key no getter asked for.
    void check_all_read() const;

private:
    const Value& get(const std::string& key) const;
    [[noreturn]] void fail(const std::string& key, const std::string& what) const;
    std::string kind_;
    std::map<std::string, Value> values_;
    mutable std::set<std::string> read_;
};

// One parameter tensor, in Keras' order and shape (Dense: kernel (in, units), bias (units,)).
// Trainable tensors live in the flat array the optimizer updates, consecutively in layer and spec order;
// non-trainable ones (BatchNormalization's moving statistics) in a separate array.
struct ParamSpec {
    std::string name;
    Shape shape;
    bool trainable = true;
    bool lookups = false;  // its gradient also comes as lookup rows (Layer::lookups)
};

// An activation at the end of a layer (Dense, Activation) that the graph may let the next layer fuse:
// z is the pre-activation and a = f(z) the output (they may be the same array: relu in place).
struct ActInfo {
    Act act = Act::Linear;
    float alpha = 0.0f;
    const float* z = nullptr;
    const float* a = nullptr;
};

// GEMM epilogue multiplying each finished block of d (row stride ld) by f'(z) of a producer's elementwise
// activation, while the block is in cache: a layer's input-gradient GEMM fuses the producer's derivative.
struct ActGradEpilogue {
    ActInfo info;
    float* d;
    long ld;
    static void apply(const void* self, int i0, int rows, int j0, int cols);
    GemmEpilogue epilogue() const { return {&ActGradEpilogue::apply, this}; }
};

struct ForwardArgs {
    std::vector<const float*> in;  // one per input: rows x size(input shape)
    int rows = 0;
    bool training = false;
    Rng* rng = nullptr;            // the network's stream (dropout keys): draw in a fixed order
};

// Where a layer writes the gradient of one of its inputs.
struct InputGrad {
    float* d = nullptr;        // rows x size(input shape); null: that input needs no gradient
    bool accumulate = false;   // add to d (another consumer of the same tensor wrote it first)
    ActInfo fuse;              // act != Linear: also multiply by f'(z) of the producer, if the layer can
                               // (in its GEMM epilogue); then it sets fused, else the graph does it after
    bool fused = false;
};

struct BackwardArgs {
    int rows = 0;
    // d loss / d output; for a layer whose activation() is not Linear, d loss / d its pre-activation z.
    const float* dout = nullptr;
    std::vector<InputGrad> in;  // one per input
};

class Layer {
public:
    virtual ~Layer() = default;

    const std::vector<Shape>& input_shapes() const { return in_shapes_; }
    const Shape& output_shape() const { return out_shape_; }
    long input_size(int k = 0) const { return shape_size(in_shapes_[k]); }
    long output_size() const { return shape_size(out_shape_); }
    const std::vector<ParamSpec>& param_specs() const { return param_specs_; }

    // One pointer per ParamSpec, set by the graph before first use: values, and gradients (trainable
    // ones; null for non-trainable tensors). A layer's trainable tensors are consecutive in memory.
    std::vector<float*> params, grads;

    // Buffers for batches of up to `rows` rows (called whenever the graph's capacity grows).
    virtual void reserve(int /*rows*/) {}
    // Floats per row this layer keeps (outputs, gradients, workspaces): bounds evaluate/predict's row count.
    virtual long floats_per_row() const { return 3 * output_size(); }

    // Computes the output of args.rows rows; returns it: a buffer of the layer's own, valid until its next
    // forward, or one of its inputs (layers that change nothing, e.g. Flatten or inference-mode Dropout).
    virtual const float* forward(const ForwardArgs& args) = 0;
    // Parameter gradients (overwritten) and input gradients (per InputGrad), from the state the last
    // training-mode forward kept.
    virtual void backward(BackwardArgs& args) = 0;
    // The activation at the end of this layer (valid after forward), which the graph converts the output
    // gradient through and the loss reads logits from; Linear for layers without one.
    virtual ActInfo activation() const { return {}; }
    // The gradient of parameter `param` as lookup rows, for a parameter whose gradient Keras 3 hands to
    // the optimizer that way (an Embedding table's; RowSlices in optimizers.h): valid after backward(),
    // until the next. Empty (rows null) for the others.
    virtual RowSlices lookups(int /*param*/) const { return {}; }

    // Keras' layer.trainable = False (attribute "trainable": 0, read by make_layer for every kind): the
    // layer's trainable tensors become non-trainable, so the optimizer never sees them and their grads
    // pointers are null. Only kinds whose backward skips null parameter gradients allow it; others throw.
    void freeze(const std::string& kind);
    virtual bool supports_freezing() const { return false; }

protected:
    // Sets in_shapes_ after checking the input count ("dense expects 1 input, got 2").
    void check_inputs(const Attrs& attrs, const std::vector<Shape>& inputs, int min_count, int max_count);
    std::vector<Shape> in_shapes_;
    Shape out_shape_;
    std::vector<ParamSpec> param_specs_;
};

// The input gradient of a layer that passes its input through unchanged: g.d (+)= dout, n floats.
void pass_gradient(InputGrad& g, const float* dout, long n);

// The registry of layer kinds: each kind's .cpp registers a factory under its name.
using LayerFactory = std::unique_ptr<Layer> (*)(const Attrs& attrs, const std::vector<Shape>& inputs);
bool register_layer(const char* kind, LayerFactory factory);
std::unique_ptr<Layer> make_layer(const std::string& kind, const Attrs& attrs, const std::vector<Shape>& inputs);
std::vector<std::string> layer_kinds();

#define PMDL_LAYER_CONCAT2(a, b) a##b
#define PMDL_LAYER_CONCAT(a, b) PMDL_LAYER_CONCAT2(a, b)
// PMDL_REGISTER_LAYER("dense", Dense): Class has a constructor (const Attrs&, const std::vector<Shape>&).
#define PMDL_REGISTER_LAYER(kind, Class)                                                                \
    static const bool PMDL_LAYER_CONCAT(pmdl_registered_, __LINE__) = ::pmdl::register_layer(          \
        kind, [](const ::pmdl::Attrs& a, const std::vector<::pmdl::Shape>& s) -> std::unique_ptr<::pmdl::Layer> { \
            return std::make_unique<Class>(a, s);                                                       \
        })

}  // namespace pmdl
