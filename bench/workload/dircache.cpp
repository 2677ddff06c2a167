#include "dircache.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace apw {

namespace {
constexpr uint64_t kStreamDirCache = 5;
constexpr size_t kSpoolPiece = 8192;        // DIRSERV_CACHED_DIR_CHUNK_SIZE (dirserv.c)
constexpr size_t kBufferMin = 16384;        // DIRSERV_BUFFER_MIN (dirserv.c)
constexpr size_t kDefaultChunk = 4096;      // buf_new(): default_chunk_size (buffers.c)
constexpr size_t kMinChunkAlloc = 256;      // MIN_CHUNK_ALLOC (buffers.c)
constexpr size_t kMaxChunkAlloc = 65536;    // MAX_CHUNK_ALLOC (buffers.c)
constexpr int kZlibLevel = Z_BEST_COMPRESSION;  // tor_zlib_compress_new: always 9
constexpr int kZlibLowBits = 11;            // method_bits(LOW_COMPRESSION)
constexpr int kZlibLowMemLevel = 6;         // memory_level(LOW_COMPRESSION)
constexpr int kZstdLowPreset = 1;           // compress_zstd.c memory_level(LOW_COMPRESSION)
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

// One streaming compressor, as tor_compress_new(1, method, LOW_COMPRESSION) builds it.
struct DirCache::Compressor {
  enum class Kind { kZstd, kZlib, kGzip } kind;
  ZSTD_CStream* zs = nullptr;
  z_stream zl{};

  explicit Compressor(Kind k) : kind(k) {
    if (kind == Kind::kZstd) {
      zs = ZSTD_createCStream();
      if (zs == nullptr || ZSTD_isError(ZSTD_initCStream(zs, kZstdLowPreset))) throw std::bad_alloc();
    } else {
      const int bits = kZlibLowBits + (kind == Kind::kGzip ? 16 : 0);
      if (deflateInit2(&zl, kZlibLevel, Z_DEFLATED, bits, kZlibLowMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::bad_alloc();
      }
    }
  }
  ~Compressor() {
    if (kind == Kind::kZstd) ZSTD_freeCStream(zs);
    else deflateEnd(&zl);
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Consumes input into out[0..avail); returns true when, with `done`, the
  // stream is finished. Updates the pointers/lengths like tor_compress_process.
  bool process(const char*& in, size_t& in_len, char*& out, size_t& avail, bool done) {
    if (kind == Kind::kZstd) {
      ZSTD_inBuffer ib{in, in_len, 0};
      ZSTD_outBuffer ob{out, avail, 0};
      size_t r = ZSTD_compressStream(zs, &ob, &ib);
      bool finished = false;
      if (!ZSTD_isError(r) && done && ib.pos == ib.size) {
        r = ZSTD_endStream(zs, &ob);
        finished = !ZSTD_isError(r) && r == 0;
      }
      if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
      in += ib.pos;
      in_len -= ib.pos;
      out += ob.pos;
      avail -= ob.pos;
      return finished;
    }
    zl.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    zl.avail_in = static_cast<uInt>(in_len);
    zl.next_out = reinterpret_cast<Bytef*>(out);
    zl.avail_out = static_cast<uInt>(avail);
    const int r = deflate(&zl, done ? Z_FINISH : Z_NO_FLUSH);
    if (r == Z_STREAM_ERROR) throw std::runtime_error("zlib: deflate failed");
    const size_t used_in = in_len - zl.avail_in;
    const size_t used_out = avail - zl.avail_out;
    in += used_in;
    in_len -= used_in;
    out += used_out;
    avail -= used_out;
    return r == Z_STREAM_END;
  }
};

DirCache::DirCache(const Options& o, Tracker& t, uint64_t seed)
    : o_(o), t_(t), rng_(derive_seed(seed, kStreamDirCache)), mapped_(kSpoolPiece, 'c') {
  body_.reserve(o.server_desc_bytes.hi + o.microdesc_body_bytes.hi + 64);
}

DirCache::~DirCache() = default;

// buf_preferred_chunk_size() + buf_add_chunk_with_capacity(..., capped=1).
DirCache::Chunk& DirCache::add_chunk(Conn& c, size_t capacity) {
  size_t alloc;
  if (kChunkOverhead + capacity < kDefaultChunk) {
    alloc = kDefaultChunk;
  } else if (kChunkOverhead + capacity > kMaxChunkAlloc) {
    alloc = kMaxChunkAlloc;
  } else {
    alloc = kMinChunkAlloc;
    while (alloc - kChunkOverhead < capacity) alloc <<= 1;
  }
  c.out.emplace_back();
  c.out.back().mem = TrackedBuf(t_, alloc);
  return c.out.back();
}

void DirCache::buf_add(Conn& c, const char* data, size_t n) {
  while (n > 0) {
    if (c.out.empty() || c.out.back().room() == 0) add_chunk(c, n);
    Chunk& ch = c.out.back();
    const size_t k = std::min(n, ch.room());
    std::memcpy(ch.mem.data() + ch.len, data, k);
    ch.len += k;
    c.out_len += k;
    data += k;
    n -= k;
  }
}

void DirCache::buf_add_compress(Conn& c, const char* data, size_t n, bool done) {
  bool need_new_chunk = false;
  for (;;) {
    if (need_new_chunk || c.out.empty() || c.out.back().room() == 0) add_chunk(c, n / 4);
    Chunk& ch = c.out.back();
    char* w = ch.mem.data() + ch.len;
    size_t avail = ch.room();
    const size_t before = avail;
    const bool finished = c.z->process(data, n, w, avail, done);
    ch.len += before - avail;
    c.out_len += before - avail;
    if (finished || (n == 0 && !done)) return;
    // More to do with room left: the compressor wants space (BUFFER_FULL), so
    // start a new chunk as buf_add_compress() does.
    need_new_chunk = avail > 0;
  }
}

// A descriptor body: keyword lines around base64 key material, so it
// compresses roughly like the real thing (keys do not compress).
size_t DirCache::make_body(bool descriptor) {
  const size_t n = descriptor ? rng_.range(o_.server_desc_bytes.lo, o_.server_desc_bytes.hi)
                              : rng_.range(o_.microdesc_body_bytes.lo, o_.microdesc_body_bytes.hi);
  static const char kHead[] = "onion-key\n-----BEGIN RSA PUBLIC KEY-----\n";
  body_.assign(kHead, kHead + sizeof kHead - 1);
  while (body_.size() < n) {
    for (int i = 0; i < 64 && body_.size() < n; ++i) body_.push_back(kB64[rng_.below(64)]);
    static const char kLine[] = "\nntor-onion-key ";
    body_.insert(body_.end(), kLine, kLine + sizeof kLine - 1);
  }
  body_.resize(n);
  return n;
}

void DirCache::start_request() {
  ++stats_.requests;
  auto c = std::make_unique<Conn>();
  const double u = rng_.uniform();
  const double consensus = o_.dir_consensus_share;
  const double diff = consensus + o_.dir_diff_share;
  const double md = diff + o_.dir_microdesc_share;
  if (u < consensus) {
    c->spool_left = rng_.range(o_.dir_consensus_bytes.lo, o_.dir_consensus_bytes.hi);
  } else if (u < diff) {
    c->spool_left = rng_.log_uniform(o_.dir_diff_bytes.lo, o_.dir_diff_bytes.hi);
  } else {
    c->descriptors = u >= md;
    c->bodies_left = rng_.range(1, c->descriptors ? o_.dir_descs_per_request : o_.dir_microdescs_per_request);
    const bool zstd = rng_.chance(o_.dir_zstd_share);
    c->z = std::make_unique<Compressor>(zstd ? Compressor::Kind::kZstd
                                             : (rng_.chance(0.5) ? Compressor::Kind::kZlib : Compressor::Kind::kGzip));
    ++stats_.compressed_streams;
  }
  refill(*c);  // "Prime the connection with some data" (dircache.c)
  conns_.push_back(std::move(c));
}

// connection_dirserv_flushed_some(): add while the outbuf holds < 16 KiB.
void DirCache::refill(Conn& c) {
  while (c.out_len < kBufferMin && (c.spool_left > 0 || c.bodies_left > 0)) {
    if (c.spool_left > 0) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(c.spool_left, kSpoolPiece));
      buf_add(c, mapped_.data(), k);
      c.spool_left -= k;
    } else {
      const size_t n = make_body(c.descriptors);
      --c.bodies_left;
      buf_add_compress(c, body_.data(), n, false);
    }
  }
  if (c.z && c.bodies_left == 0) {
    buf_add_compress(c, "", 0, true);  // flush, then tor_compress_free()
    c.z.reset();
  }
}

// buf_drain(): written bytes leave; emptied chunks are freed at once.
void DirCache::drain(Conn& c) {
  size_t budget = o_.dir_conn_bytes_per_tick;
  while (budget > 0 && !c.out.empty()) {
    Chunk& ch = c.out.front();
    const size_t k = std::min(budget, ch.len - ch.off);
    ch.off += k;
    c.out_len -= k;
    budget -= k;
    stats_.bytes_out += k;
    t_.mix(k);
    if (ch.off == ch.len) c.out.pop_front();
  }
}

void DirCache::tick(double intensity) {
  carry_ += o_.dir_requests_per_s * (o_.tick_ms / 1000.0) * intensity;
  while (carry_ >= 1.0) {
    carry_ -= 1.0;
    start_request();
  }
  size_t keep = 0;
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& c = *conns_[i];
    drain(c);
    refill(c);
    if (c.out_len > 0 || c.spool_left > 0 || c.bodies_left > 0) {
      conns_[keep++] = std::move(conns_[i]);
    }
  }
  conns_.resize(keep);
}

}  // namespace apw
