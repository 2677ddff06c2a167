// One allocation of at least 256 MiB, through malloc and calloc. Pages are
// sampled every 64 KiB: page faults are the cost here, not the allocator.
#include <cstdlib>
#include <malloc.h>
#include <string>

#include "api_detail.h"
#include "memory.h"

namespace allocpipe::smoke::probe {
namespace {
constexpr std::size_t kStride = 64 * KiB;
}  // namespace

void check_large(Reporter& r) {
    r.start("large.malloc");
    const std::size_t n = 256 * MiB + 3 * 4096 + 5;
    void* p = opaque(std::malloc(n));
    if (p == nullptr) {
        r.fail("large.malloc", "malloc(256 MiB + 12 KiB + 5) to succeed", "NULL");
        return;
    }
    fill_sparse(p, n, 256, kStride);
    std::string seen;
    if (malloc_usable_size(p) < n) seen = "usable size " + std::to_string(malloc_usable_size(p));
    const std::size_t bad = verify_sparse(p, n, 256, kStride);
    if (bad != kNoMismatch) seen = "byte " + std::to_string(bad) + " changed";
    r.expect(seen.empty(), "large.malloc", "a writable 256 MiB block (one byte per 64 KiB checked)",
             seen);

    std::free(p);

    r.start("large.calloc");
    void* z = opaque(std::calloc(1, 256 * MiB));
    if (z == nullptr) {
        r.fail("large.calloc", "calloc(1, 256 MiB) to succeed", "NULL");
        return;
    }
    const std::size_t nz = find_nonzero_sparse(z, 256 * MiB, kStride);
    r.expect(nz == kNoMismatch, "large.calloc", "calloc(1, 256 MiB) zeroed",
             "non-zero byte at " + std::to_string(nz));
    std::free(z);
}

}  // namespace allocpipe::smoke::probe
