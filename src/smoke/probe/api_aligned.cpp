// posix_memalign, aligned_alloc, memalign and valloc with alignments from
// sizeof(void*) up to 4 MiB.
#include <cerrno>
#include <cstdlib>
#include <malloc.h>
#include <string>
#include <unistd.h>

#include "api_detail.h"
#include "memory.h"

namespace allocpipe::smoke::probe {
namespace {

constexpr std::size_t kMaxAlignment = 4 * MiB;

// Checks one aligned block; returns a description of the first problem.
std::string judge(const std::string& call, void* p, std::size_t alignment, std::size_t n) {
    if (p == nullptr) return call + " = NULL";
    if (!is_aligned(p, alignment)) return call + " = " + hex(p) + " (misaligned)";
    if (malloc_usable_size(p) < n) {
        return call + " usable size " + std::to_string(malloc_usable_size(p));
    }
    const bool sparse = n > 1 * MiB;
    if (sparse) fill_sparse(p, n, alignment); else fill(p, n, alignment);
    const std::size_t bad = sparse ? verify_sparse(p, n, alignment) : verify(p, n, alignment);
    if (bad != kNoMismatch) return call + " lost byte " + std::to_string(bad);
    return {};
}

template <class Alloc>
void sweep(const char* subcheck, const char* expected, Reporter& r, Alloc alloc) {
    r.start(subcheck);
    std::string seen;
    for (std::size_t a = sizeof(void*); a <= kMaxAlignment && seen.empty(); a *= 2) {
        for (std::size_t n : {std::size_t{1}, a, 3 * a + 1}) {
            std::string call;
            void* p = alloc(a, n, call);
            seen = judge(call, p, a, n);
            std::free(p);
            if (!seen.empty()) break;
        }
    }
    r.expect(seen.empty(), subcheck, expected, seen);
}

std::string args(const char* fn, std::size_t a, std::size_t n) {
    return std::string(fn) + "(" + std::to_string(a) + ", " + std::to_string(n) + ")";
}

}  // namespace

void check_aligned(Reporter& r) {
    sweep("posix_memalign", "posix_memalign: 0, aligned, usable, for alignments 8 B..4 MiB", r,
          [](std::size_t a, std::size_t n, std::string& call) -> void* {
              void* p = nullptr;
              const int rc = posix_memalign(&p, a, n);
              call = args("posix_memalign", a, n);
              if (rc != 0) {
                  call += " returned " + describe_errno(rc);
                  return nullptr;
              }
              return opaque(p);
          });
    sweep("aligned_alloc", "aligned_alloc: aligned, usable, for alignments 8 B..4 MiB", r,
          [](std::size_t a, std::size_t n, std::string& call) -> void* {
              const std::size_t rounded = (n + a - 1) / a * a;  // size a multiple of alignment
              call = args("aligned_alloc", a, rounded);
              return opaque(aligned_alloc(a, rounded));
          });
    sweep("memalign", "memalign: aligned, usable, for alignments 8 B..4 MiB", r,
          [](std::size_t a, std::size_t n, std::string& call) -> void* {
              call = args("memalign", a, n);
              return opaque(memalign(a, n));
          });

    r.start("valloc");
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* v = opaque(valloc(3 * page + 5));
    const std::string vseen = judge("valloc(3 pages + 5)", v, page, 3 * page + 5);
    r.expect(vseen.empty(), "valloc", "valloc: page-aligned, usable", vseen);
    std::free(v);

    r.start("posix_memalign.invalid");
    std::string inval;
    for (std::size_t bad : {std::size_t{3}, std::size_t{4}, std::size_t{24}}) {
        void* sentinel = &inval;
        void* p = sentinel;
        const int rc = posix_memalign(&p, bad, 64);
        if ((rc != EINVAL || p != sentinel) && inval.empty()) {
            inval = "posix_memalign(" + std::to_string(bad) + ", 64) returned " +
                    describe_errno(rc) + (p != sentinel ? " and changed the pointer" : "");
            if (rc == 0) std::free(p);
        }
    }
    r.expect(inval.empty(), "posix_memalign.invalid",
             "EINVAL and untouched pointer for alignment 3, 4, 24", inval);
}

}  // namespace allocpipe::smoke::probe
