// Building the graph (shapes, parameters, edges) and its forward and backward passes.
#include "graph.h"

#include <stdexcept>

#include "parallel.h"

namespace pmdl {

Graph::Graph(std::vector<Shape> input_shapes, std::vector<LayerNode> nodes)
    : input_shapes_(std::move(input_shapes)), nodes_(std::move(nodes)) {
    const int I = num_inputs(), L = (int)nodes_.size();
    if (I == 0) throw std::invalid_argument("a network needs at least one input");
    if (L == 0) throw std::invalid_argument("a network needs at least one layer");
    std::vector<Shape> shapes;
    for (const Shape& s : input_shapes_) {
        bool ok = !s.empty();
        long size = 1;
        for (int d : s) ok = ok && d > 0 && (size *= d) < kMaxSize;  // kMaxSize: exclusive (ints)
        if (!ok)
            throw std::invalid_argument("input shapes must be positive with at most " + std::to_string(kMaxSize - 1) +
                                        " elements per sample, got " + shape_text(s));
        shapes.push_back(s);
    }
    std::vector<int> consumers(I + L, 0);
    for (int j = 0; j < L; ++j) {
        const LayerNode& n = nodes_[j];
        std::vector<Shape> in;
        for (int from : n.inputs) {
            if (from < 0 || from >= I + j)
                throw std::invalid_argument("layer " + std::to_string(j) + " (" + n.kind + ") reads node " +
                                            std::to_string(from) + ": inputs must be earlier nodes, 0 to " +
                                            std::to_string(I + j - 1));
            in.push_back(shapes[from]);
            ++consumers[from];
        }
        try {
            layers_.push_back(make_layer(n.kind, n.attrs, in));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("layer " + std::to_string(j) + ": " + e.what());
        }
        shapes.push_back(layers_.back()->output_shape());
    }
    for (int j = 0; j + 1 < L; ++j)
        if (consumers[I + j] == 0)
            throw std::invalid_argument("layer " + std::to_string(j) + " (" + nodes_[j].kind +
                                        ") feeds no other layer and is not the output (the last layer)");
    for (const Shape& s : shapes) sizes_.push_back(shape_size(s));
    // Fixed by the shapes: counted once (every prediction asks, through Network::inference_rows).
    floats_per_row_ = output_size();
    for (int k = 0; k < I; ++k) floats_per_row_ += sizes_[k];
    for (const auto& layer : layers_) floats_per_row_ += layer->floats_per_row();

    // Parameters: trainable tensors consecutively in layer and spec order, non-trainable ones apart.
    long trainable = 0, frozen = 0;
    std::vector<bool> has_trainable(L, false);
    for (int j = 0; j < L; ++j)
        for (int k = 0; k < (int)layers_[j]->param_specs().size(); ++k) {
            const ParamSpec& p = layers_[j]->param_specs()[k];
            long& total = p.trainable ? trainable : frozen;
            tensors_.push_back({j, k, p.name, p.shape, p.trainable, total, shape_size(p.shape)});
            total += shape_size(p.shape);
            has_trainable[j] = has_trainable[j] || p.trainable;
        }
    // Everything the network will hold, checked before any of it is touched: parameters, gradients, the
    // optimizer's slots (allocated when it is configured, up to three per parameter for the built-in rules:
    // a network that cannot hold them cannot train) and the first 32 rows of workspaces.
    require_memory(4 * (size_t)(5 * trainable + frozen + 32 * floats_per_row()), "the network");
    params_.assign(trainable, 0.0f);
    grads_.assign(trainable, 0.0f);
    frozen_.assign(frozen, 0.0f);
    for (const TensorSlot& t : tensors_) {
        Layer& layer = *layers_[t.layer];
        layer.params.push_back((t.trainable ? params_.data() : frozen_.data()) + t.offset);
        layer.grads.push_back(t.trainable ? grads_.data() + t.offset : nullptr);
    }

    // A node needs a gradient when a trainable parameter lies upstream of it; model inputs never do.
    std::vector<bool> needs_grad(I + L, false);
    for (int j = 0; j < L; ++j) {
        bool upstream = has_trainable[j];
        for (int from : nodes_[j].inputs) upstream = upstream || needs_grad[from];
        needs_grad[I + j] = upstream;
    }
    // Backward visits layers from the last, each one's inputs in slot order: the first edge out of a node
    // in that order writes its gradient, the later ones add to it, and the last one completes it.
    edges_.resize(L);
    for (int j = 0; j < L; ++j)
        for (int k = 0; k < (int)nodes_[j].inputs.size(); ++k) edges_[j].push_back({j, k, nodes_[j].inputs[k], false,
                                                                                      false, false});
    std::vector<int> seen(I + L, 0);
    for (int j = L; j-- > 0;)
        for (Edge& e : edges_[j]) {
            e.accumulate = seen[e.from]++ > 0;
            e.last = seen[e.from] == consumers[e.from];
            e.may_fuse = consumers[e.from] == 1;
            if (!needs_grad[e.from]) e.from = -1 - e.from;  // no gradient: marked by a negative id
        }
    out_.assign(I + L, nullptr);
    grad_.resize(L);
    fwd_.resize(L);
    bwd_.resize(L);
    for (int j = 0; j < L; ++j) {
        fwd_[j].in.resize(nodes_[j].inputs.size());
        bwd_[j].in.resize(nodes_[j].inputs.size());
    }
    active_.resize(L);
    for (int j = 0; j < L; ++j) active_[j] = needs_grad[I + j];
}

RowSlices Graph::lookups(int tensor) const {
    const TensorSlot& t = tensors_.at(tensor);
    return layers_[t.layer]->lookups(t.param);
}

void Graph::reserve(int rows) {
    if (rows <= capacity_) return;
    capacity_ = rows;
    const int I = num_inputs();
    for (int j = 0; j < num_layers(); ++j) {
        layers_[j]->reserve(rows);
        if (active_[j] || j + 1 == num_layers()) grad_[j].resize((long)rows * sizes_[I + j]);
    }
}

const float* Graph::forward(const float* const* x, int rows, bool training, Rng& rng) {
    const int I = num_inputs();
    for (int k = 0; k < I; ++k) out_[k] = x[k];
    for (int j = 0; j < num_layers(); ++j) {
        ForwardArgs& f = fwd_[j];
        for (size_t k = 0; k < f.in.size(); ++k) f.in[k] = out_[nodes_[j].inputs[k]];
        f.rows = rows;
        f.training = training;
        f.rng = &rng;
        out_[I + j] = layers_[j]->forward(f);
    }
    return out_.back();
}

ActInfo Graph::output_activation() const {
    ActInfo a = layers_.back()->activation();
    if (a.act == Act::Linear) a.z = a.a = out_.back();
    return a;
}

void Graph::finish_gradient(int node, bool fused, int rows) {
    if (fused) return;  // the consumer's GEMM epilogue did it
    const Layer& producer = *layers_[node - num_inputs()];
    const ActInfo a = producer.activation();
    if (a.act == Act::Linear) return;
    // d loss / d output -> d loss / d pre-activation; softmax works along the last axis.
    const int last = producer.output_shape().back();
    const int n = (int)(rows * (producer.output_size() / last));
    float* d = grad_[node - num_inputs()].data();
    for_row_slices(n, last, [&](int r0, int r1) {
        const long at = (long)r0 * last;
        act_backward(a.act, a.alpha, a.z + at, a.a + at, d + at, d + at, r1 - r0, last);
    });
}

void Graph::backward(int rows) {
    const int I = num_inputs();
    for (int j = num_layers(); j-- > 0;) {
        if (!active_[j]) continue;
        BackwardArgs& b = bwd_[j];
        b.rows = rows;
        b.dout = grad_[j].data();
        const Edge* edges = edges_[j].data();
        InputGrad* in = b.in.data();
        const int n = (int)b.in.size();
        for (int k = 0; k < n; ++k) {
            const Edge& e = edges[k];
            InputGrad& g = in[k];
            g = InputGrad{};
            if (e.from < I) continue;  // a model input, or no trainable parameter upstream
            g.d = grad_[e.from - I].data();
            g.accumulate = e.accumulate;
            if (e.may_fuse) g.fuse = layers_[e.from - I]->activation();
        }
        layers_[j]->backward(b);
        for (int k = 0; k < n; ++k)
            if (edges[k].from >= I && edges[k].last) finish_gradient(edges[k].from, in[k].fused, rows);
    }
}

}  // namespace pmdl
