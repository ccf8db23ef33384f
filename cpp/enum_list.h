// One list per enum family. Each family (activations.h, losses.h, metrics.h) declares its members once,
// as an X-macro of X(Member, "keras_name"); the enum, the names Python sees (bindings_enums.cpp) and the
// range check are derived from that list, so a new member is one line and nothing can forget it.
#pragma once

#include <stdexcept>
#include <string>

namespace pmdl {

// Names of an enum family's members, in value order: count() and name(i). Specialised by
// PMDL_DECLARE_ENUM, or by hand where the list lives in a .cpp (optimizers.h: the rule table).
template <class E>
struct EnumList;

#define PMDL_ENUM_MEMBER_(member, keras_name) member,
#define PMDL_ENUM_NAME_(member, keras_name) keras_name,

// enum class E : int { the list's members } and its EnumList.
#define PMDL_DECLARE_ENUM(E, LIST)                                                   \
    enum class E : int { LIST(PMDL_ENUM_MEMBER_) };                                  \
    template <>                                                                      \
    struct EnumList<E> {                                                             \
        static constexpr const char* kNames[] = {LIST(PMDL_ENUM_NAME_)};             \
        static constexpr int count() { return sizeof(kNames) / sizeof(kNames[0]); }  \
        static constexpr const char* name(int i) { return kNames[i]; }               \
    };

// Throws std::invalid_argument("unknown <what> code <n>") unless `e` is a member of its list: values
// come from Python as plain integers.
template <class E>
void check_enum(E e, const char* what) {
    const int v = static_cast<int>(e);
    if (v < 0 || v >= EnumList<E>::count())
        throw std::invalid_argument(std::string("unknown ") + what + " code " + std::to_string(v));
}

}  // namespace pmdl
