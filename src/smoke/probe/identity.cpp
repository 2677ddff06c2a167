// Identity: the preloaded file really serves the allocation API, answers the
// expected version, and owns the memory malloc/new return.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <new>
#include <string>
#include <sys/mman.h>
#include <vector>

#include "memory.h"
#include "modes.h"
#include "symbols.h"

namespace allocpipe::smoke::probe {
namespace {

// Entry points that must resolve into the preloaded library (C and the
// Itanium-mangled C++ operators: new, new[], delete, delete[], sized delete,
// aligned new/delete).
const char* const kServedSymbols[] = {
    "malloc",        "free",           "calloc",         "realloc",
    "posix_memalign", "aligned_alloc", "memalign",       "valloc",
    "malloc_usable_size",
    "_Znwm",         "_Znam",          "_ZdlPv",         "_ZdaPv",
    "_ZdlPvm",       "_ZnwmSt11align_val_t",             "_ZdlPvSt11align_val_t",
};

std::string describe_file(const std::string& file) {
    return file.empty() ? std::string("no shared object (dladdr failed)") : file;
}

void check_resolution(const IdentityArgs& args, Reporter& r) {
    r.start("resolves");
    for (const char* name : kServedSymbols) {
        const std::string subcheck = std::string("resolves.") + name;
        void* addr = find_symbol(name);
        if (addr == nullptr) {
            r.fail(subcheck, std::string(name) + " defined by " + args.library,
                   "no definition of " + std::string(name) + " in the process");
            continue;
        }
        const std::string file = file_containing(addr);
        r.expect(same_file(file, args.library), subcheck,
                 std::string(name) + " from " + args.library,
                 std::string(name) + " from " + describe_file(file));
    }
    // What this very program calls must be the same thing the lookup found.
    struct Direct { const char* name; void* addr; };
    const Direct direct[] = {
        {"malloc", reinterpret_cast<void*>(static_cast<void* (*)(std::size_t)>(&::malloc))},
        {"free", reinterpret_cast<void*>(static_cast<void (*)(void*)>(&::free))},
        {"_Znwm", reinterpret_cast<void*>(
                      static_cast<void* (*)(std::size_t)>(&::operator new))},
    };
    for (const auto& d : direct) {
        const std::string file = file_containing(d.addr);
        r.expect(same_file(file, args.library), std::string("call-site.") + d.name,
                 std::string("the probe's own call of ") + d.name + " to land in " + args.library,
                 "it lands in " + describe_file(file));
    }
}

// "2.0.9" -> 209 (mimalloc's MI_MALLOC_VERSION scheme; from 3.0.10 on
// upstream uses major*1000 + minor*100 + patch).
bool mimalloc_version_number(const std::string& v, int& out) {
    int major = 0, minor = 0, patch = 0;
    char tail = 0;
    if (std::sscanf(v.c_str(), "%d.%d.%d%c", &major, &minor, &patch, &tail) != 3) return false;
    out = (minor < 10 && patch < 10) ? major * 100 + minor * 10 + patch
                                     : major * 1000 + minor * 100 + patch;
    return true;
}

// Later releases (3.6.0's mimalloc.h: "major + 2 digits minor + 2 digits
// patch", MI_MALLOC_VERSION 30600) use major*10000 + minor*100 + patch.
bool mimalloc_version_matches(const std::string& v, int expected, int seen) {
    int major = 0, minor = 0, patch = 0;
    std::sscanf(v.c_str(), "%d.%d.%d", &major, &minor, &patch);
    return seen == expected || (minor < 100 && patch < 100 && seen == major * 10000 + minor * 100 + patch);
}

bool symbol_from_library(const IdentityArgs& args, const char* name, void* addr, Reporter& r) {
    const std::string subcheck = std::string("symbol.") + name;
    if (addr == nullptr) {
        r.fail(subcheck, std::string(name) + "() exported by " + args.library,
               "no symbol " + std::string(name) + " in the process");
        return false;
    }
    const std::string file = file_containing(addr);
    return r.expect(same_file(file, args.library), subcheck,
                    std::string(name) + "() from " + args.library,
                    std::string(name) + "() from " + describe_file(file));
}

// A few blocks obtained through every allocation entry point.
struct Samples {
    std::vector<std::pair<std::string, void*>> c_blocks;
    void* cxx_new = nullptr;
    void* cxx_new_array = nullptr;
    void* cxx_aligned_new = nullptr;

    Samples() {
        for (std::size_t n : {24u, 5000u, 1u << 20, 64u << 20}) {
            c_blocks.emplace_back("malloc(" + std::to_string(n) + ")", opaque(std::malloc(n)));
        }
        c_blocks.emplace_back("calloc(10, 100)", opaque(std::calloc(10, 100)));
        c_blocks.emplace_back("realloc(NULL, 300)", opaque(std::realloc(nullptr, 300)));
        void* aligned = nullptr;
        if (posix_memalign(&aligned, 1u << 20, 4096) == 0) {
            c_blocks.emplace_back("posix_memalign(1 MiB, 4096)", opaque(aligned));
        }
        cxx_new = opaque(::operator new(48));
        cxx_new_array = opaque(::operator new[](4000));
        cxx_aligned_new = opaque(::operator new(256, std::align_val_t{4096}));
    }
    ~Samples() {
        for (auto& b : c_blocks) std::free(b.second);
        ::operator delete(cxx_new);
        ::operator delete[](cxx_new_array);
        ::operator delete(cxx_aligned_new, std::align_val_t{4096});
    }
    Samples(const Samples&) = delete;
    Samples& operator=(const Samples&) = delete;

    std::vector<std::pair<std::string, void*>> all() const {
        auto out = c_blocks;
        out.emplace_back("operator new(48)", cxx_new);
        out.emplace_back("operator new[](4000)", cxx_new_array);
        out.emplace_back("operator new(256, align 4096)", cxx_aligned_new);
        return out;
    }
};

void check_mimalloc(const IdentityArgs& args, Reporter& r) {
    int expected = 0;
    if (!mimalloc_version_number(args.version, expected)) {
        r.fail("version", "a version of the form x.y.z", "'" + args.version + "'");
        return;
    }
    auto* mi_version = find_function<int (*)()>("mi_version");
    if (symbol_from_library(args, "mi_version", reinterpret_cast<void*>(mi_version), r)) {
        const int seen = mi_version();
        r.expect(mimalloc_version_matches(args.version, expected, seen), "version",
                 "mi_version() = " + std::to_string(expected),
                 "mi_version() = " + std::to_string(seen));
    }

    auto* in_heap = find_function<bool (*)(const void*)>("mi_is_in_heap_region");
    if (!symbol_from_library(args, "mi_is_in_heap_region", reinterpret_cast<void*>(in_heap), r)) {
        return;
    }
    r.start("owns");
    Samples samples;
    for (const auto& [what, p] : samples.all()) {
        r.expect(p != nullptr && in_heap(p), "owns." + what,
                 what + " inside mimalloc's heap (mi_is_in_heap_region)",
                 p == nullptr ? std::string("NULL returned")
                              : hex(p) + " outside mimalloc's heap");
    }
    // Controls: memory that is certainly not mimalloc's must be reported so,
    // otherwise the ownership answers above mean nothing.
    r.start("owns.control");
    int on_stack = 0;
    r.expect(!in_heap(opaque(&on_stack)), "owns.control.stack",
             "a stack address reported outside the heap", "reported inside the heap");
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED) {
        r.expect(!in_heap(page), "owns.control.mmap",
                 "a fresh mmap() page reported outside the heap", "reported inside the heap");
        munmap(page, 4096);
    }
    // glibc's own allocator, reached through libc's handle (the preloaded
    // library may define __libc_malloc itself).
    void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void* libc_malloc_sym = libc ? dlsym(libc, "__libc_malloc") : nullptr;
    void* libc_free_sym = libc ? dlsym(libc, "__libc_free") : nullptr;
    auto* libc_malloc = reinterpret_cast<void* (*)(std::size_t)>(libc_malloc_sym);
    auto* libc_free = reinterpret_cast<void (*)(void*)>(libc_free_sym);
    if (libc_malloc != nullptr && libc_free != nullptr &&
        !same_file(file_containing(reinterpret_cast<void*>(libc_malloc)), args.library)) {
        void* foreign = opaque(libc_malloc(100));
        r.expect(foreign != nullptr && !in_heap(foreign), "owns.control.glibc",
                 "a block from glibc's __libc_malloc reported outside the heap",
                 foreign == nullptr ? "__libc_malloc failed" : "reported inside the heap");
        libc_free(foreign);
    } else {
        r.note("owns.control.glibc", "glibc's __libc_malloc not reachable; control skipped");
    }
    if (libc != nullptr) dlclose(libc);
}

void check_jemalloc(const IdentityArgs& args, Reporter& r) {
    using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    auto* mallctl = find_function<mallctl_fn>("mallctl");
    if (symbol_from_library(args, "mallctl", reinterpret_cast<void*>(mallctl), r)) {
        const char* version = nullptr;
        std::size_t len = sizeof version;
        const int err = mallctl("version", &version, &len, nullptr, 0);
        const std::string seen = err != 0 ? "mallctl(\"version\") error " + std::to_string(err)
                                 : version == nullptr ? std::string("NULL")
                                                      : std::string(version);
        const bool prefix = err == 0 && version != nullptr &&
                            seen.compare(0, args.version.size(), args.version) == 0 &&
                            (seen.size() == args.version.size() ||
                             !std::isdigit(static_cast<unsigned char>(seen[args.version.size()])));
        r.expect(prefix, "version", "mallctl(\"version\") starting with " + args.version,
                 "\"" + seen + "\"");
    }

    auto* sallocx = find_function<std::size_t (*)(const void*, int)>("sallocx");
    if (!symbol_from_library(args, "sallocx", reinterpret_cast<void*>(sallocx), r) ||
        mallctl == nullptr) {
        return;
    }
    r.start("owns");
    Samples samples;
    for (const auto& [what, p] : samples.all()) {
        if (p == nullptr) {
            r.fail("owns." + what, what + " to succeed", "NULL returned");
            continue;
        }
        const std::size_t usable = malloc_usable_size(p);
        const std::size_t jsize = sallocx(p, 0);
        unsigned arena = 0;
        std::size_t arena_len = sizeof arena;
        const void* ptr = p;
        const int lookup = mallctl("arenas.lookup", &arena, &arena_len,
                                   const_cast<void**>(&ptr), sizeof ptr);
        r.expect(lookup == 0 && jsize == usable && jsize > 0, "owns." + what,
                 what + " known to jemalloc (arenas.lookup ok, sallocx == malloc_usable_size)",
                 "arenas.lookup " + std::string(lookup == 0 ? "ok" : "error " + std::to_string(lookup)) +
                     ", sallocx " + std::to_string(jsize) + ", malloc_usable_size " +
                     std::to_string(usable));
    }
}

}  // namespace

void run_identity(const IdentityArgs& args, Reporter& r) {
    check_resolution(args, r);
    if (args.allocator == "mimalloc") {
        check_mimalloc(args, r);
    } else if (args.allocator == "jemalloc") {
        check_jemalloc(args, r);
    } else {
        r.fail("allocator", "mimalloc or jemalloc", "'" + args.allocator + "'");
    }
}

}  // namespace allocpipe::smoke::probe
