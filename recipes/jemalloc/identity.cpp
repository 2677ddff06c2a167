// jemalloc: version from mallctl("version"), ownership from arenas.lookup
// and sallocx() agreeing with malloc_usable_size().
#include <malloc.h>
#include <string>

#include "family.h"

namespace {

using allocpipe::family::find_function;
using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

std::string version() {
    auto* mallctl = find_function<mallctl_fn>("mallctl");
    if (mallctl == nullptr) return {};
    const char* v = nullptr;
    std::size_t len = sizeof v;
    if (mallctl("version", &v, &len, nullptr, 0) != 0 || v == nullptr) return {};
    return v;  // "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c"
}

// arenas.lookup on memory jemalloc does not own is not safe, so this is only
// asked about blocks the allocator returned (owns_rejects_foreign = false).
int owns(const void* p) {
    auto* mallctl = find_function<mallctl_fn>("mallctl");
    auto* sallocx = find_function<std::size_t (*)(const void*, int)>("sallocx");
    if (mallctl == nullptr || sallocx == nullptr) return -1;
    unsigned arena = 0;
    std::size_t arena_len = sizeof arena;
    const void* ptr = p;
    const int lookup =
        mallctl("arenas.lookup", &arena, &arena_len, const_cast<void**>(&ptr), sizeof ptr);
    const std::size_t jsize = sallocx(p, 0);
    return lookup == 0 && jsize > 0 && jsize == malloc_usable_size(const_cast<void*>(p)) ? 1 : 0;
}

}  // namespace

ALLOCPIPE_FAMILY(jemalloc) = {
    "jemalloc",
    {"mallctl", "sallocx"},
    "mallctl(\"version\")",
    version,
    owns,
    false,
    {},
    nullptr,
};
