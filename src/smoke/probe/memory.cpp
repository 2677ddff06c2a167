#include "memory.h"

namespace allocpipe::smoke::probe {

// __builtin_memcpy: the probe is built with -fno-builtin, which would turn
// every 8-byte copy into a library call.
void fill(void* p, std::size_t n, std::uint64_t seed) {
    auto* b = static_cast<unsigned char*>(p);
    std::size_t w = 0;
    for (; (w + 1) * 8 <= n; ++w) {
        const std::uint64_t v = pattern_word(seed, w);
        __builtin_memcpy(b + w * 8, &v, 8);
    }
    for (std::size_t i = w * 8; i < n; ++i) b[i] = pattern_byte(seed, i);
}

std::size_t verify(const void* p, std::size_t n, std::uint64_t seed) {
    const auto* b = static_cast<const unsigned char*>(p);
    std::size_t w = 0;
    for (; (w + 1) * 8 <= n; ++w) {
        std::uint64_t v;
        __builtin_memcpy(&v, b + w * 8, 8);
        if (v != pattern_word(seed, w)) break;
    }
    for (std::size_t i = w * 8; i < n; ++i) {
        if (b[i] != pattern_byte(seed, i)) return i;
    }
    return kNoMismatch;
}

void fill_sparse(void* p, std::size_t n, std::uint64_t seed, std::size_t stride) {
    if (n == 0) return;
    auto* b = static_cast<unsigned char*>(p);
    for (std::size_t i = 0; i < n; i += stride) b[i] = pattern_byte(seed, i);
    b[n - 1] = pattern_byte(seed, n - 1);
}

std::size_t verify_sparse(const void* p, std::size_t n, std::uint64_t seed, std::size_t stride) {
    if (n == 0) return kNoMismatch;
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; i += stride) {
        if (b[i] != pattern_byte(seed, i)) return i;
    }
    return b[n - 1] == pattern_byte(seed, n - 1) ? kNoMismatch : n - 1;
}

std::size_t find_nonzero_sparse(const void* p, std::size_t n, std::size_t stride) {
    if (n == 0) return kNoMismatch;
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; i += stride) {
        if (b[i] != 0) return i;
    }
    return b[n - 1] == 0 ? kNoMismatch : n - 1;
}

std::size_t find_nonzero(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    std::size_t w = 0;
    for (; (w + 1) * 8 <= n; ++w) {
        std::uint64_t v;
        __builtin_memcpy(&v, b + w * 8, 8);
        if (v != 0) break;
    }
    for (std::size_t i = w * 8; i < n; ++i) {
        if (b[i] != 0) return i;
    }
    return kNoMismatch;
}

}  // namespace allocpipe::smoke::probe
