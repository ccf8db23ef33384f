// The attribute getters, the registry of layer kinds, and the pieces every layer shares.
#include "layer.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace pmdl {

long shape_size(const Shape& s) {
    long n = 1;
    for (int d : s) n *= d;
    return n;
}

std::string shape_text(const Shape& s) {
    std::string t = "(";
    for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + (s.size() == 1 ? ",)" : ")");
}

Rng::Rng(uint64_t seed) {
    for (auto& v : s) {  // splitmix64 expands the seed into the state
        seed += 0x9E3779B97F4A7C15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        v = z ^ (z >> 31);
    }
}

uint64_t Rng::next() {
    auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

// --- attributes ---------------------------------------------------------------------------------

namespace {
std::string number_text(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string((long long)v);
    std::ostringstream s;
    s << v;
    return s.str();
}
std::string value_text(const Attrs::Value& v) {
    if (const double* d = std::get_if<double>(&v)) return number_text(*d);
    std::string t = "[";
    const auto& list = std::get<std::vector<long>>(v);
    for (size_t i = 0; i < list.size(); ++i) t += (i ? ", " : "") + std::to_string(list[i]);
    return t + "]";
}
}  // namespace

void Attrs::fail(const std::string& key, const std::string& what) const {
    throw std::invalid_argument(kind_ + ": attribute '" + key + "' " + what);
}

const Attrs::Value& Attrs::get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) fail(key, "is missing");
    read_.insert(key);
    return it->second;
}

double Attrs::number(const std::string& key, double lo, double hi) const {
    const Value& v = get(key);
    const double* d = std::get_if<double>(&v);
    if (!d) fail(key, "must be a number, got " + value_text(v));
    if (!(*d >= lo && *d <= hi))
        fail(key, "must be in [" + number_text(lo) + ", " + number_text(hi) + "], got " + number_text(*d));
    return *d;
}

double Attrs::number(const std::string& key, double lo, double hi, double fallback) const {
    return has(key) ? number(key, lo, hi) : fallback;
}

long Attrs::integer(const std::string& key, long lo, long hi) const {
    const double d = number(key, (double)lo, (double)hi);
    if (d != std::floor(d)) fail(key, "must be an integer, got " + number_text(d));
    return (long)d;
}

long Attrs::integer(const std::string& key, long lo, long hi, long fallback) const {
    return has(key) ? integer(key, lo, hi) : fallback;
}

bool Attrs::flag(const std::string& key, bool fallback) const {
    return has(key) ? integer(key, 0, 1) != 0 : fallback;
}

std::vector<long> Attrs::ints(const std::string& key, long lo, long hi, int length) const {
    const Value& v = get(key);
    const auto* list = std::get_if<std::vector<long>>(&v);
    if (!list) fail(key, "must be a list of integers, got " + value_text(v));
    if (length >= 0 && (int)list->size() != length)
        fail(key, "must have " + std::to_string(length) + " entries, got " + value_text(v));
    for (long x : *list)
        if (x < lo || x > hi)
            fail(key, "entries must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                          value_text(v));
    return *list;
}

std::vector<long> Attrs::ints(const std::string& key, long lo, long hi, int length, std::vector<long> fallback) const {
    return has(key) ? ints(key, lo, hi, length) : fallback;
}

void Attrs::check_all_read() const {
    for (const auto& kv : values_)
        if (!read_.count(kv.first)) fail(kv.first, "is not one of this layer kind's attributes");
}

// --- layers -------------------------------------------------------------------------------------

void ActGradEpilogue::apply(const void* self, int i0, int rows, int j0, int cols) {
    const ActGradEpilogue& g = *static_cast<const ActGradEpilogue*>(self);
    const long at = i0 * g.ld + j0;
    act_backward_block(g.info.act, g.info.alpha, g.info.z + at, g.info.a + at, g.d + at, g.ld, rows, cols);
}

void pass_gradient(InputGrad& g, const float* dout, long n) {
    if (!g.d) return;
    if (g.accumulate) for (long j = 0; j < n; ++j) g.d[j] += dout[j];
    else std::copy(dout, dout + n, g.d);
}

void Layer::check_inputs(const Attrs& attrs, const std::vector<Shape>& inputs, int min_count, int max_count) {
    const int n = (int)inputs.size();
    if (n < min_count || n > max_count) {
        const std::string want = min_count == max_count ? std::to_string(min_count)
                                 : max_count > 1000     ? "at least " + std::to_string(min_count)
                                                        : std::to_string(min_count) + " to " + std::to_string(max_count);
        throw std::invalid_argument(attrs.kind() + " expects " + want + " input" + (want == "1" ? "" : "s") +
                                    ", got " + std::to_string(n));
    }
    for (const Shape& s : inputs) {
        bool ok = !s.empty();
        long size = 1;
        for (int d : s) ok = ok && d > 0 && (size *= d) <= kMaxSize;
        if (!ok) throw std::invalid_argument(attrs.kind() + ": input shapes must be positive, got " + shape_text(s));
    }
    in_shapes_ = inputs;
}

// --- registry -----------------------------------------------------------------------------------

namespace {
std::map<std::string, LayerFactory>& registry() {  // built on first use: registrars run before main
    static std::map<std::string, LayerFactory> kinds;
    return kinds;
}
}  // namespace

bool register_layer(const char* kind, LayerFactory factory) {
    registry()[kind] = factory;
    return true;
}

std::unique_ptr<Layer> make_layer(const std::string& kind, const Attrs& attrs, const std::vector<Shape>& inputs) {
    auto it = registry().find(kind);
    if (it == registry().end()) {
        std::string known;
        for (const auto& kv : registry()) known += (known.empty() ? "" : ", ") + kv.first;
        throw std::invalid_argument("unknown layer kind '" + kind + "' (known: " + known + ")");
    }
    std::unique_ptr<Layer> layer = it->second(attrs, inputs);
    attrs.check_all_read();
    return layer;
}

std::vector<std::string> layer_kinds() {
    std::vector<std::string> out;
    for (const auto& kv : registry()) out.push_back(kv.first);
    return out;
}

}  // namespace pmdl
