// API behaviour of the C allocation functions, single-threaded. Every block
// is written and read back; large blocks are sampled once per page.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <malloc.h>
#include <set>
#include <string>
#include <vector>

#include "api_detail.h"
#include "memory.h"
#include "modes.h"

namespace allocpipe::smoke::probe {
namespace {

std::size_t min_alignment_for(std::size_t n) {
    std::size_t a = 1;
    while (a * 2 <= n && a < alignof(std::max_align_t)) a *= 2;
    return a;
}

struct Block {
    void* p;
    std::size_t n;
};

void check_malloc_sizes(Reporter& r) {
    r.start("malloc.sizes");
    const std::size_t sizes[] = {1,    2,    3,     7,     8,      9,       15,      16,
                                 17,   24,   31,    32,    33,     48,      63,      64,
                                 100,  127,  128,   255,   256,    500,     1000,    1024,
                                 2047, 4095, 4096,  4097,  8191,   10000,   16 * KiB, 32 * KiB,
                                 64 * KiB, 100000, 256 * KiB, 1 * MiB, 3 * MiB, 8 * MiB + 1,
                                 16 * MiB + 7};
    std::vector<Block> blocks;
    std::string null_seen, usable_seen, align_seen;
    for (std::size_t n : sizes) {
        void* p = opaque(std::malloc(n));
        if (p == nullptr) {
            null_seen = "malloc(" + std::to_string(n) + ") = NULL";
            continue;
        }
        const std::size_t usable = malloc_usable_size(p);
        if (usable < n && usable_seen.empty()) {
            usable_seen = "malloc_usable_size = " + std::to_string(usable) + " for malloc(" +
                          std::to_string(n) + ")";
        }
        if (!is_aligned(p, min_alignment_for(n)) && align_seen.empty()) {
            align_seen = "malloc(" + std::to_string(n) + ") = " + hex(p);
        }
        fill(p, n, n);
        blocks.push_back({p, n});
    }
    r.expect(null_seen.empty(), "malloc.sizes", "malloc of 1 B..16 MiB to succeed", null_seen);
    r.expect(usable_seen.empty(), "malloc.usable-size", "malloc_usable_size >= request",
             usable_seen);
    r.expect(align_seen.empty(), "malloc.alignment",
             "alignment >= min(16, largest power of two <= size)", align_seen);

    std::string content_seen;
    for (const auto& b : blocks) {
        const std::size_t bad = verify(b.p, b.n, b.n);
        if (bad != kNoMismatch && content_seen.empty()) {
            content_seen = "byte " + std::to_string(bad) + " of malloc(" + std::to_string(b.n) +
                           ") changed while other blocks were written";
        }
    }
    r.expect(content_seen.empty(), "malloc.contents", "every block keeps its contents",
             content_seen);

    std::sort(blocks.begin(), blocks.end(),
              [](const Block& a, const Block& b) { return a.p < b.p; });
    std::string overlap_seen;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const auto* prev_end = static_cast<const char*>(blocks[i - 1].p) + blocks[i - 1].n;
        if (prev_end > static_cast<const char*>(blocks[i].p)) {
            overlap_seen = hex(blocks[i - 1].p) + "+" + std::to_string(blocks[i - 1].n) +
                           " overlaps " + hex(blocks[i].p);
        }
    }
    r.expect(overlap_seen.empty(), "malloc.disjoint", "live blocks never overlap", overlap_seen);
    for (const auto& b : blocks) std::free(b.p);
}

void check_malloc_edges(const std::set<std::string>& allow, Reporter& r) {
    r.start("malloc.zero");
    void* a = opaque(std::malloc(0));
    void* b = opaque(std::malloc(0));
    r.expect(a == nullptr || a != b, "malloc.zero",
             "malloc(0) = NULL or a unique pointer", "two calls returned " + hex(a));
    std::free(a);
    std::free(b);

    r.start("free.null");
    std::free(opaque(static_cast<void*>(nullptr)));
    r.ok("free.null");

    r.start("malloc-usable-size.null");
    r.expect(malloc_usable_size(nullptr) == 0, "malloc-usable-size.null",
             "malloc_usable_size(NULL) = 0", std::to_string(malloc_usable_size(nullptr)));

    r.start("malloc.impossible");
    errno = 0;
    void* huge = opaque(std::malloc(impossible_size()));
    expect_enomem(allow, "malloc.impossible", "malloc(PTRDIFF_MAX - 4096)", huge, errno, r);
}

void check_churn(Reporter& r) {
    // Many short-lived blocks of mixed sizes: exercises free-list reuse.
    r.start("malloc.churn");
    constexpr int kSlots = 512;
    std::vector<Block> slots(kSlots, Block{nullptr, 0});
    std::uint64_t rng = 0x5eed;
    std::string seen;
    for (int i = 0; i < 60000 && seen.empty(); ++i) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        Block& s = slots[(rng >> 33) % kSlots];
        if (s.p != nullptr) {
            if (verify(s.p, s.n, s.n ^ reinterpret_cast<std::uintptr_t>(s.p)) != kNoMismatch) {
                seen = "block of " + std::to_string(s.n) + " bytes at " + hex(s.p) +
                       " changed before it was freed";
            }
            std::free(s.p);
        }
        const std::size_t n = ((rng >> 13) % 8 == 0) ? (rng >> 20) % (64 * KiB) + 1
                                                      : (rng >> 20) % 512 + 1;
        s = Block{opaque(std::malloc(n)), n};
        if (s.p == nullptr) {
            seen = "malloc(" + std::to_string(n) + ") = NULL";
            break;
        }
        fill(s.p, s.n, s.n ^ reinterpret_cast<std::uintptr_t>(s.p));
    }
    for (auto& s : slots) std::free(s.p);
    r.expect(seen.empty(), "malloc.churn", "60000 mixed malloc/free keep every block intact",
             seen);
}

}  // namespace

void run_api(const std::set<std::string>& allowances, Reporter& r) {
    check_malloc_sizes(r);
    check_malloc_edges(allowances, r);
    check_churn(r);
    check_calloc(allowances, r);
    check_realloc(allowances, r);
    check_aligned(r);
    check_cxx(r);
    check_large(r);
}

}  // namespace allocpipe::smoke::probe
