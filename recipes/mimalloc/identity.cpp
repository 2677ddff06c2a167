// mimalloc: version from mi_version(), ownership from mi_is_in_heap_region().
#include <string>

#include "family.h"

namespace {

using allocpipe::family::find_function;

// mi_version() is MI_MALLOC_VERSION (include/mimalloc.h). Up to 3.0.x it is
// "major + 2 digits minor": 209 = 2.0.9, 217 = 2.1.7, 301 = 3.0.1 (a minor
// or patch above 9 cannot be expressed). Later releases use "major + 2
// digits minor + 2 digits patch": 20302 = 2.3.2, 30403 = 3.4.3, 30600 =
// 3.6.0. The two ranges do not overlap (old < 1000, new >= 10000), so the
// number decodes unambiguously. The one decoder: the smoke gate and the
// benchmark both call this.
std::string decode_mi_version(int v) {
    if (v >= 10000) {
        return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
               std::to_string(v % 100);
    }
    if (v >= 100 && v < 1000) {
        return std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
               std::to_string(v % 10);
    }
    return "?";  // neither scheme: never equal to a recipe version
}

std::string version() {
    auto* mi_version = find_function<int (*)()>("mi_version");
    if (mi_version == nullptr) return {};
    const int v = mi_version();
    return decode_mi_version(v) + " (mi_version=" + std::to_string(v) + ")";
}

int owns(const void* p) {
    auto* in_heap = find_function<bool (*)(const void*)>("mi_is_in_heap_region");
    if (in_heap == nullptr) return -1;
    return in_heap(p) ? 1 : 0;
}

}  // namespace

ALLOCPIPE_FAMILY(mimalloc) = {
    "mimalloc",
    {"mi_version", "mi_is_in_heap_region"},
    "mi_version()",
    version,
    owns,
    true,
    {{"MIMALLOC_VERBOSE", "1"}},
    "secure level:",
};
