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
#include "family.h"
#include "symbols.h"

namespace allocpipe::smoke::probe {
namespace {

namespace fam = allocpipe::family;

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

// The family's own version answer (recipes/<family>/identity.cpp).
void check_version(const IdentityArgs& args, const fam::Family& f, Reporter& r) {
    const std::string answer = f.version();
    r.expect(fam::version_matches(args.version, answer), "version",
             std::string(f.version_query) + " answering " + args.version,
             answer.empty() ? std::string(f.version_query) + " gave no answer"
                            : std::string(f.version_query) + " answering \"" + answer + "\"");
}

void check_ownership(const IdentityArgs& args, const fam::Family& f, Reporter& r) {
    const std::string owner = args.allocator + " (recipes/" + args.allocator + "/identity.cpp)";
    r.start("owns");
    Samples samples;
    for (const auto& [what, p] : samples.all()) {
        const int owned = p == nullptr ? -1 : f.owns(p);
        r.expect(owned == 1, "owns." + what, what + " owned by " + owner,
                 p == nullptr ? std::string("NULL returned")
                 : owned < 0  ? std::string("the ownership query is unavailable")
                              : hex(p) + " not owned by it");
    }
    if (!f.owns_rejects_foreign) return;
    // Controls: memory that is certainly not the allocator's must be reported
    // so, otherwise the ownership answers above mean nothing.
    r.start("owns.control");
    int on_stack = 0;
    r.expect(f.owns(opaque(&on_stack)) == 0, "owns.control.stack",
             "a stack address reported as not owned", "reported as owned");
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED) {
        r.expect(f.owns(page) == 0, "owns.control.mmap",
                 "a fresh mmap() page reported as not owned", "reported as owned");
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
        r.expect(foreign != nullptr && f.owns(foreign) == 0, "owns.control.glibc",
                 "a block from glibc's __libc_malloc reported as not owned",
                 foreign == nullptr ? "__libc_malloc failed" : "reported as owned");
        libc_free(foreign);
    } else {
        r.note("owns.control.glibc", "glibc's __libc_malloc not reachable; control skipped");
    }
    if (libc != nullptr) dlclose(libc);
}

}  // namespace

void run_identity(const IdentityArgs& args, Reporter& r) {
    check_resolution(args, r);
    const fam::Family* f = fam::find(args.allocator);
    if (f == nullptr) {
        r.fail("allocator", "a family folder " + std::string(fam::families_dir()) + "/" +
                                args.allocator + "/ compiled into the probe (known: " +
                                fam::names() + ")",
               "unknown family '" + args.allocator + "'");
        return;
    }
    bool exported = true;
    for (const char* name : f->symbols) {
        exported = symbol_from_library(args, name, find_symbol(name), r) && exported;
    }
    if (!exported) return;
    check_version(args, *f, r);
    check_ownership(args, *f, r);
}

}  // namespace allocpipe::smoke::probe
