// The network's structure: layers in topological order with their input edges, their parameters, and
// the forward and backward passes over a batch. The training loop around it is cpp/network.*.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aligned.h"
#include "layers/layer.h"

namespace pmdl {

// One layer of the graph: its kind, the node ids it reads (model inputs are 0 .. I-1, layer j's output
// is I + j) and its attributes.
struct LayerNode {
    std::string kind;
    std::vector<int> inputs;
    Attrs attrs;
};

// Where a parameter tensor lives: in the trainable array (params/grads) or the non-trainable one.
struct TensorSlot {
    int layer;
    int param;  // its index among the layer's tensors
    std::string name;
    Shape shape;
    bool trainable;
    long offset, size;
};

class Graph {
public:
    Graph(std::vector<Shape> input_shapes, std::vector<LayerNode> nodes);

    int num_inputs() const { return (int)input_shapes_.size(); }
    int num_layers() const { return (int)layers_.size(); }
    const std::vector<Shape>& input_shapes() const { return input_shapes_; }
    const Shape& output_shape() const { return layers_.back()->output_shape(); }
    long input_size(int k) const { return sizes_[k]; }
    long output_size() const { return sizes_.back(); }
    const Layer& layer(int j) const { return *layers_[j]; }

    const std::vector<TensorSlot>& tensors() const { return tensors_; }
    float* params() { return params_.data(); }          // trainable, what the optimizer updates
    float* grads() { return grads_.data(); }
    long num_trainable() const { return (long)params_.size(); }
    float* frozen() { return frozen_.data(); }          // non-trainable (moving statistics)
    long num_frozen() const { return (long)frozen_.size(); }
    // Tensor `tensor`'s gradient as lookup rows, when its layer keeps them (Layer::lookups).
    RowSlices lookups(int tensor) const;

    // Buffers for batches of up to `rows` rows; floats per row of all of them (inputs and output too).
    void reserve(int rows);
    int capacity() const { return capacity_; }
    long floats_per_row() const { return floats_per_row_; }

    // x[k]: rows x input_size(k). Returns the output (rows x output_size()), valid until the next forward.
    const float* forward(const float* const* x, int rows, bool training, Rng& rng);
    // The output layer's activation, which the loss reads logits from (z = the output when Linear).
    ActInfo output_activation() const;
    // Where the loss writes d loss / d (the output layer's pre-activation) before backward().
    float* output_grad() { return grad_.back().data(); }
    // Parameter gradients of the batch of the last training forward.
    void backward(int rows);

private:
    struct Edge {          // input slot k of layer j reads node `from`
        int layer, slot, from;
        bool accumulate;   // another edge from the same node is processed earlier in backward
        bool last;         // the last edge into `from` processed in backward: its gradient is then complete
        bool may_fuse;     // the only edge from `from`: the consumer may fuse the producer's f'
    };
    void finish_gradient(int node, bool fused, int rows);

    std::vector<Shape> input_shapes_;
    std::vector<LayerNode> nodes_;
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<long> sizes_;                 // per node: floats per row
    std::vector<std::vector<Edge>> edges_;   // per layer, per input slot
    std::vector<TensorSlot> tensors_;
    Floats params_, grads_, frozen_;
    int capacity_ = 0;
    long floats_per_row_ = 0;
    std::vector<const float*> out_;           // per node: the last forward's output
    std::vector<Floats> grad_;                // per layer: d loss / d its output (or pre-activation)
    std::vector<bool> active_;                // per layer: backward runs (parameters or gradients upstream)
    std::vector<ForwardArgs> fwd_;
    std::vector<BackwardArgs> bwd_;
};

}  // namespace pmdl
