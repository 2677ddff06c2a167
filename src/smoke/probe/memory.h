// Helpers to write and verify recognisable contents in allocated blocks,
// and to keep the compiler from reasoning about allocations.
#pragma once

#include <cstddef>
#include <cstdint>

namespace allocpipe::smoke::probe {

inline constexpr std::size_t kNoMismatch = static_cast<std::size_t>(-1);

// The expected contents: 64-bit words derived from a seed and the word index.
inline std::uint64_t pattern_word(std::uint64_t seed, std::size_t word) {
    std::uint64_t x = (seed + 1) * 0x9E3779B97F4A7C15ull ^ (word * 0xBF58476D1CE4E5B9ull);
    x ^= x >> 31;
    return x * 0x94D049BB133111EBull;
}

inline unsigned char pattern_byte(std::uint64_t seed, std::size_t i) {
    return static_cast<unsigned char>(pattern_word(seed, i / 8) >> (8 * (i % 8)));
}

// Fills every byte of [p, p+n).
void fill(void* p, std::size_t n, std::uint64_t seed);
// Index of the first byte that differs from fill(p, n, seed), or kNoMismatch.
std::size_t verify(const void* p, std::size_t n, std::uint64_t seed);

// Touches one byte per `stride` plus the last byte (for very large blocks).
void fill_sparse(void* p, std::size_t n, std::uint64_t seed, std::size_t stride = 4096);
std::size_t verify_sparse(const void* p, std::size_t n, std::uint64_t seed,
                          std::size_t stride = 4096);
// Index of the first non-zero byte among the sparse samples, or kNoMismatch.
std::size_t find_nonzero_sparse(const void* p, std::size_t n, std::size_t stride = 4096);
std::size_t find_nonzero(const void* p, std::size_t n);

// Hides a pointer's provenance from the optimiser, so that allocation calls
// and hostile operations are really executed.
template <class T>
inline T* opaque(T* p) {
    asm volatile("" : "+r"(p) : : "memory");
    return p;
}

inline bool is_aligned(const void* p, std::size_t alignment) {
    return (reinterpret_cast<std::uintptr_t>(p) & (alignment - 1)) == 0;
}

}  // namespace allocpipe::smoke::probe
