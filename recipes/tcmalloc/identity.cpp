// tcmalloc (gperftools): version from tc_version(), ownership from
// MallocExtension_GetOwnership() (the C shim of MallocExtension).
#include <string>

#include "family.h"

namespace {

using allocpipe::family::find_function;

std::string version() {
    auto* tc_version = find_function<const char* (*)(int*, int*, const char**)>("tc_version");
    if (tc_version == nullptr) return {};
    int major = 0, minor = 0;
    const char* patch = nullptr;
    const char* text = tc_version(&major, &minor, &patch);
    // "2.10" (patch is "" for a release) and upstream's own "gperftools 2.10".
    return std::to_string(major) + "." + std::to_string(minor) + (patch ? patch : "") + " (" +
           (text ? text : "?") + ")";
}

// MallocExtension::Ownership: 0 unknown, 1 owned, 2 not owned. The page map
// lookup is safe on any address.
int owns(const void* p) {
    auto* ownership = find_function<int (*)(const void*)>("MallocExtension_GetOwnership");
    if (ownership == nullptr) return -1;
    const int o = ownership(p);
    return o == 1 ? 1 : o == 2 ? 0 : -1;
}

}  // namespace

ALLOCPIPE_FAMILY(tcmalloc) = {
    "tcmalloc",
    {"tc_version", "MallocExtension_GetOwnership"},
    "tc_version()",
    version,
    owns,
    true,
    {},
    nullptr,
};
