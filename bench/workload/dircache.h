// The directory-cache serving path of a relay with DirCache 1 (Tor's default
// for relays), on the main thread, from Tor 0.4.8/0.4.9 sources:
//  - requests arrive continuously (rate and mix: bench/README.md, "DirCache");
//  - consensus and consensus-diff responses are spooled precompressed from
//    the consensus cache (dirserv.c: DIRSERV_CACHED_DIR_CHUNK_SIZE 8192
//    pieces while the outbuf holds less than DIRSERV_BUFFER_MIN 16384); the
//    cache itself is a file mapping in Tor, so only the buffer chunks are heap;
//  - microdescriptor and server-descriptor responses are compressed on the
//    fly (dircache.c: choose_compression_level() = LOW_COMPRESSION,
//    srv_meth_pref_streaming_compression = zstd, zlib, gzip), each request
//    with a fresh streaming compressor from the real library: zstd
//    ZSTD_createCStream + ZSTD_initCStream(level 1) (compress_zstd.c), or
//    zlib deflateInit2(Z_BEST_COMPRESSION, windowBits 11 (+16 gzip),
//    memLevel 6) (compress_zlib.c), fed one descriptor body at a time
//    (spooled_resource_flush_some) and writing into buf_t chunks the way
//    buf_add_compress() does;
//  - output buffers are chains of buf_t chunks (buffers.c: 40-byte chunk
//    header + sentinel, 4096-byte default, power-of-two sizes from 256 B to
//    64 KiB), freed as the connection drains.
// The compressors allocate through the process's malloc (whatever is
// preloaded), like Tor's; their bytes are not in the workload's live counter.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "options.h"
#include "rng.h"
#include "tracked.h"

namespace apw {

struct DirCacheStats {
  uint64_t requests = 0;
  uint64_t compressed_streams = 0;
  uint64_t bytes_out = 0;
};

class DirCache {
 public:
  DirCache(const Options& o, Tracker& t, uint64_t seed);
  ~DirCache();
  DirCache(const DirCache&) = delete;
  DirCache& operator=(const DirCache&) = delete;

  // One main-loop tick: new requests (scaled by intensity), refill and drain.
  void tick(double intensity);
  const DirCacheStats& stats() const { return stats_; }

  struct Compressor;  // zstd or zlib stream (dircache.cpp)

 private:
  struct Chunk {
    TrackedBuf mem;
    size_t len = 0;  // bytes written
    size_t off = 0;  // bytes drained
    size_t room() const { return mem.capacity() - kChunkOverhead - len; }
  };
  struct Conn {
    std::deque<Chunk> out;
    size_t out_len = 0;
    uint64_t spool_left = 0;       // precompressed bytes still to spool
    uint64_t bodies_left = 0;      // descriptors still to compress
    std::unique_ptr<Compressor> z;
    bool descriptors = false;      // server descriptors rather than microdescriptors
  };
  static constexpr size_t kChunkOverhead = 40;  // CHUNK_HEADER_LEN + SENTINEL_LEN on 64-bit

  void start_request();
  void refill(Conn& c);
  void drain(Conn& c);
  Chunk& add_chunk(Conn& c, size_t capacity);
  void buf_add(Conn& c, const char* data, size_t n);
  void buf_add_compress(Conn& c, const char* data, size_t n, bool done);
  size_t make_body(bool descriptor);

  const Options& o_;
  Tracker& t_;
  Rng rng_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<char> body_;       // the descriptor being served (stack-like scratch)
  std::vector<char> mapped_;     // stands in for the mmapped consensus cache
  double carry_ = 0;
  DirCacheStats stats_;
};

}  // namespace apw
