// consdiffmgr's precompression on the worker threads: every new consensus
// diff is stored once per method of compress_diffs_with[] (none, gzip, lzma,
// zstd), each made by tor_compress() at BEST_COMPRESSION: a fresh compressor
// of the real library per call, the whole input at once, and an output buffer
// that starts at half the input (at least 1 KiB) and doubles with realloc
// while the compressor wants room (src/lib/compress/compress.c,
// tor_compress_impl(), guess_compress_size()). Parameters per library are in
// bench/README.md ("DirCache: where the figures come from").
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "rng.h"
#include "tracked.h"

namespace apw {

enum class TorMethod { kGzip, kLzma, kZstd };
constexpr TorMethod kDiffMethods[] = {TorMethod::kGzip, TorMethod::kLzma, TorMethod::kZstd};

struct Compressed {
  TrackedBuf buf;  // capacity: what Tor's buffer would have grown to
  size_t len = 0;  // compressed bytes (real for the sample, scaled beyond it)
};

// tor_compress(out, in, method) at BEST_COMPRESSION of a `full_n`-byte input
// of which the first `n` bytes (`in`) are compressed for real. Compressing
// lzma at preset 6 runs at a few MB/s, which the hourly burst of 16 diffs of
// up to 3 MB cannot afford on 2 cores, so beyond the sample the output grows
// (by Tor's doubling) to the length the sample's measured ratio gives. The
// compressor's own state (the bulk of its memory: ~94 MiB reserved by lzma
// preset 6) is allocated in full either way. Output through `t` (Tor's
// tor_malloc/tor_realloc). Throws std::runtime_error naming the library.
Compressed tor_compress_best(Tracker& t, TorMethod method, const char* in, size_t n, size_t full_n);

// `n` bytes of consensus-diff text (ed commands replacing router status
// entries), deterministic in `rng`: keyword lines around base64 digests and
// addresses, so the compressors see text that compresses like a real diff.
std::string consensus_diff_text(Rng& rng, size_t n);

}  // namespace apw
