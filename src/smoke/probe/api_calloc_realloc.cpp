// calloc and realloc/reallocarray behaviour.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <string>

#include "api_detail.h"
#include "memory.h"

namespace allocpipe::smoke::probe {

std::size_t impossible_size() {
    volatile std::size_t n = static_cast<std::size_t>(PTRDIFF_MAX) - 4096;
    return n;
}

void expect_enomem(const std::set<std::string>& allow, const std::string& subcheck,
                   const std::string& call, void* result, int err, Reporter& r) {
    const std::string expected = call + " = NULL with errno ENOMEM";
    if (result != nullptr) {
        r.fail(subcheck, expected, call + " = " + hex(result));
        std::free(result);
    } else if (err == ENOMEM) {
        r.ok(subcheck);
    } else if (allow.count(subcheck) != 0) {
        r.deviation(subcheck, subcheck, expected,
                    call + " = NULL with " + describe_errno(err));
    } else {
        r.fail(subcheck, expected, call + " = NULL with " + describe_errno(err));
    }
}

void check_calloc(const std::set<std::string>& allow, Reporter& r) {
    r.start("calloc.zeroed");
    struct Req { std::size_t count, size; };
    const Req reqs[] = {{1, 1}, {10, 10}, {100, 41}, {1, 4096}, {16, 1000},
                        {3, 100000}, {1, 1 * MiB}, {4, 4 * MiB}};
    std::string seen;
    for (const auto& q : reqs) {
        const std::size_t n = q.count * q.size;
        // Dirty memory of the same size first, so a reused block must be
        // cleared by calloc itself.
        void* dirty = opaque(std::malloc(n));
        if (dirty != nullptr) {
            std::memset(dirty, 0xA5, n);
            std::free(dirty);
        }
        void* p = opaque(std::calloc(q.count, q.size));
        const std::string call =
            "calloc(" + std::to_string(q.count) + ", " + std::to_string(q.size) + ")";
        if (p == nullptr) {
            if (seen.empty()) seen = call + " = NULL";
            continue;
        }
        const std::size_t bad = n > 1 * MiB ? find_nonzero_sparse(p, n) : find_nonzero(p, n);
        if (bad != kNoMismatch && seen.empty()) {
            seen = call + " has a non-zero byte at offset " + std::to_string(bad);
        }
        fill(p, n > 1 * MiB ? 4096 : n, n);
        std::free(p);
    }
    r.expect(seen.empty(), "calloc.zeroed", "calloc returns zeroed memory of the full size", seen);

    r.start("calloc.zero-count");
    void* z = opaque(std::calloc(0, 16));
    r.ok("calloc.zero-count");  // any result is conforming; it must be freeable
    std::free(z);

    r.start("calloc.overflow");
    volatile std::size_t half = SIZE_MAX / 2 + 2;
    errno = 0;
    void* over = opaque(std::calloc(half, 2));
    expect_enomem(allow, "calloc.overflow", "calloc(SIZE_MAX/2+2, 2)", over, errno, r);
}

namespace {

// Grows one block step by step and shrinks it again; the prefix written
// at each step must survive every move.
void check_realloc_chain(Reporter& r) {
    r.start("realloc.grow");
    const std::size_t steps[] = {100, 1000, 10000, 100000, 1 * MiB, 16 * MiB, 5000, 10};
    void* p = opaque(std::realloc(nullptr, 16));
    if (p == nullptr) {
        r.fail("realloc.null", "realloc(NULL, 16) to allocate", "NULL");
        return;
    }
    r.expect(malloc_usable_size(p) >= 16, "realloc.null", "realloc(NULL, 16) acts as malloc(16)",
             "usable size " + std::to_string(malloc_usable_size(p)));
    fill(p, 16, 1);
    std::size_t cur = 16;
    std::string grow_seen, shrink_seen;
    for (std::size_t n : steps) {
        void* q = opaque(std::realloc(p, n));
        std::string& seen = n > cur ? grow_seen : shrink_seen;
        const std::string call =
            "realloc(" + std::to_string(cur) + " -> " + std::to_string(n) + ")";
        if (q == nullptr) {
            if (seen.empty()) seen = call + " = NULL";
            break;
        }
        p = q;
        const std::size_t kept = cur < n ? cur : n;
        const std::size_t bad = verify(p, kept, 1);
        if (bad != kNoMismatch && seen.empty()) {
            seen = call + " lost byte " + std::to_string(bad) + " of the old contents";
        }
        if (malloc_usable_size(p) < n && seen.empty()) {
            seen = call + " usable size " + std::to_string(malloc_usable_size(p));
        }
        fill(p, n, 1);
        cur = n;
    }
    r.expect(grow_seen.empty(), "realloc.grow", "growing 16 B -> 16 MiB keeps the contents",
             grow_seen);
    r.expect(shrink_seen.empty(), "realloc.shrink", "shrinking 16 MiB -> 10 B keeps the prefix",
             shrink_seen);
    std::free(p);
}

}  // namespace

void check_realloc(const std::set<std::string>& allow, Reporter& r) {
    check_realloc_chain(r);

    // realloc(p, 0): C17 leaves it implementation-defined (NULL after freeing,
    // or a minimal block). Either way the result must be usable with free().
    r.start("realloc.zero");
    void* p = opaque(std::malloc(64));
    void* z = opaque(std::realloc(p, 0));
    r.note("realloc.zero", z == nullptr ? "realloc(p, 0) freed p and returned NULL"
                                        : "realloc(p, 0) returned a minimal block");
    std::free(z);
    r.ok("realloc.zero");

    // A failed realloc must leave the old block alone.
    r.start("realloc.impossible");
    void* keep = opaque(std::malloc(1000));
    if (keep == nullptr) {
        r.fail("realloc.impossible", "malloc(1000) to succeed", "NULL");
    } else {
        fill(keep, 1000, 7);
        errno = 0;
        void* q = opaque(std::realloc(keep, impossible_size()));
        expect_enomem(allow, "realloc.impossible", "realloc(p, PTRDIFF_MAX - 4096)", q, errno, r);
        if (q == nullptr) {
            r.expect(verify(keep, 1000, 7) == kNoMismatch, "realloc.impossible-keeps-block",
                     "the old block intact after a failed realloc", "its contents changed");
            std::free(keep);
        }
    }

    r.start("reallocarray");
    void* arr = opaque(reallocarray(nullptr, 100, 8));
    bool arr_ok = arr != nullptr;
    if (arr_ok) {
        fill(arr, 800, 3);
        void* const still_arr = opaque(arr);  // valid again only if reallocarray fails
        void* bigger = opaque(reallocarray(arr, 1000, 8));
        if (bigger == nullptr) {
            arr_ok = false;
            std::free(still_arr);
        } else {
            arr_ok = verify(bigger, 800, 3) == kNoMismatch;
            std::free(bigger);
        }
    }
    r.expect(arr_ok, "reallocarray.grow", "reallocarray 100x8 -> 1000x8 keeps the contents",
             "failed or lost contents");
    void* a = opaque(std::malloc(8));
    void* const still_a = opaque(a);  // valid again only if reallocarray fails
    volatile std::size_t half = SIZE_MAX / 2 + 2;
    errno = 0;
    void* over = opaque(reallocarray(a, half, 2));
    expect_enomem(allow, "reallocarray.overflow", "reallocarray(p, SIZE_MAX/2+2, 2)", over,
                  errno, r);
    if (over == nullptr) std::free(still_a);
}

}  // namespace allocpipe::smoke::probe
