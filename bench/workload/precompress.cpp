#include "precompress.h"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace apw {

namespace {

// BEST_COMPRESSION in Tor's src/lib/compress/: compress_zlib.c memory_level()
// and method_bits(), compress_lzma.c memory_level(), compress_zstd.c memory_level().
constexpr int kGzipLevel = Z_BEST_COMPRESSION;  // deflateInit2() level: always 9
constexpr int kGzipWindowBits = 15 + 16;        // method_bits(GZIP_METHOD, BEST)
constexpr int kGzipMemLevel = 9;                // memory_level(BEST)
constexpr uint32_t kLzmaPreset = 6;             // lzma_lzma_preset(), lzma_alone_encoder()
constexpr int kZstdLevel = 9;                   // ZSTD_initCStream()

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// guess_compress_size(): half the input, at least 1 KiB.
size_t first_guess(size_t n) { return std::max<size_t>(n / 2, 1024); }

// One step of a library: consume from in/in_left, write to out/out_left;
// returns true when the stream is finished.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual bool step(const char*& in, size_t& in_left, char*& out, size_t& out_left) = 0;
};

class Gzip : public Stream {
 public:
  Gzip() {
    if (deflateInit2(&z_, kGzipLevel, Z_DEFLATED, kGzipWindowBits, kGzipMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib: deflateInit2 failed");
  }
  ~Gzip() override { deflateEnd(&z_); }
  bool step(const char*& in, size_t& in_left, char*& out, size_t& out_left) override {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z_.avail_in = static_cast<uInt>(in_left);
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(out_left);
    const int r = deflate(&z_, Z_FINISH);
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) throw std::runtime_error("zlib: deflate failed");
    in += in_left - z_.avail_in;
    in_left = z_.avail_in;
    out += out_left - z_.avail_out;
    out_left = z_.avail_out;
    return r == Z_STREAM_END;
  }

 private:
  z_stream z_{};
};

class Lzma : public Stream {
 public:
  Lzma() {
    lzma_options_lzma options;
    if (lzma_lzma_preset(&options, kLzmaPreset) || lzma_alone_encoder(&s_, &options) != LZMA_OK)
      throw std::runtime_error("liblzma: lzma_alone_encoder failed");
  }
  ~Lzma() override { lzma_end(&s_); }
  bool step(const char*& in, size_t& in_left, char*& out, size_t& out_left) override {
    s_.next_in = reinterpret_cast<const uint8_t*>(in);
    s_.avail_in = in_left;
    s_.next_out = reinterpret_cast<uint8_t*>(out);
    s_.avail_out = out_left;
    const lzma_ret r = lzma_code(&s_, LZMA_FINISH);
    if (r != LZMA_OK && r != LZMA_STREAM_END && r != LZMA_BUF_ERROR)
      throw std::runtime_error("liblzma: lzma_code failed (" + std::to_string(static_cast<int>(r)) + ")");
    in += in_left - s_.avail_in;
    in_left = s_.avail_in;
    out += out_left - s_.avail_out;
    out_left = s_.avail_out;
    return r == LZMA_STREAM_END;
  }

 private:
  lzma_stream s_ = LZMA_STREAM_INIT;
};

class Zstd : public Stream {
 public:
  Zstd() : z_(ZSTD_createCStream(), &ZSTD_freeCStream) {
    if (!z_ || ZSTD_isError(ZSTD_initCStream(z_.get(), kZstdLevel)))
      throw std::runtime_error("zstd: ZSTD_initCStream failed");
  }
  bool step(const char*& in, size_t& in_left, char*& out, size_t& out_left) override {
    ZSTD_inBuffer ib{in, in_left, 0};
    ZSTD_outBuffer ob{out, out_left, 0};
    size_t r = ZSTD_compressStream(z_.get(), &ob, &ib);
    bool finished = false;
    if (!ZSTD_isError(r) && ib.pos == ib.size) {
      r = ZSTD_endStream(z_.get(), &ob);
      finished = !ZSTD_isError(r) && r == 0;
    }
    if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
    in += ib.pos;
    in_left -= ib.pos;
    out += ob.pos;
    out_left -= ob.pos;
    return finished;
  }

 private:
  std::unique_ptr<ZSTD_CStream, size_t (*)(ZSTD_CStream*)> z_;
};

std::unique_ptr<Stream> open_stream(TorMethod m) {
  switch (m) {
    case TorMethod::kGzip:
      return std::make_unique<Gzip>();
    case TorMethod::kLzma:
      return std::make_unique<Lzma>();
    case TorMethod::kZstd:
      return std::make_unique<Zstd>();
  }
  throw std::logic_error("unknown compression method");
}

}  // namespace

Compressed tor_compress_best(Tracker& t, TorMethod method, const char* in, size_t n, size_t full_n) {
  full_n = std::max(full_n, n);
  Compressed c;
  c.buf = TrackedBuf(t, first_guess(full_n));
  const std::unique_ptr<Stream> stream = open_stream(method);
  size_t in_left = n;
  for (;;) {
    char* out = c.buf.data() + c.len;
    size_t out_left = c.buf.capacity() - c.len;
    const size_t before = out_left;
    const bool done = stream->step(in, in_left, out, out_left);
    c.len += before - out_left;
    if (done) break;
    if (out_left == 0) {
      c.buf.resize(t, c.buf.capacity() * 2);  // TOR_COMPRESS_BUFFER_FULL
    } else if (before == out_left && in_left == 0) {
      throw std::runtime_error("compressor made no progress with room left and input consumed");
    }
  }
  if (full_n > n && n > 0) {
    // The rest of the input, at the sample's ratio: Tor's buffer would have
    // doubled until it held that much.
    const auto scaled = static_cast<size_t>(static_cast<double>(c.len) * static_cast<double>(full_n) / n);
    while (c.buf.capacity() < scaled) c.buf.resize(t, c.buf.capacity() * 2);
    c.len = scaled;
  }
  t.mix(c.len);
  return c;
}

std::string consensus_diff_text(Rng& rng, size_t n) {
  std::string s;
  s.reserve(n + 256);
  auto b64 = [&](int k) {
    for (int i = 0; i < k; ++i) s.push_back(kB64[rng.below(64)]);
  };
  auto num = [&](uint64_t v) { s += std::to_string(v); };
  uint64_t line = 40 + rng.below(200);
  while (s.size() < n) {
    // "<from>,<to>c" and the new entries, then "." (consdiff.c, ed format).
    const uint64_t entries = 1 + rng.below(4);
    num(line);
    s += ',';
    num(line + entries * 4 - 1);
    s += "c\n";
    for (uint64_t e = 0; e < entries; ++e) {
      s += "r ";
      b64(6 + static_cast<int>(rng.below(12)));
      s += ' ';
      b64(27);
      s += " 2026-12-01 ";
      num(rng.below(24));
      s += ":00:00 ";
      for (int q = 0; q < 4; ++q) {
        num(1 + rng.below(254));
        s += q < 3 ? "." : " ";
      }
      s += rng.chance(0.7) ? "9001 0\n" : "443 0\n";
      s += "m ";
      b64(43);
      s += rng.chance(0.5) ? "\ns Fast Guard HSDir Running Stable V2Dir Valid\n" : "\ns Fast Running Stable Valid\n";
      s += rng.chance(0.8) ? "v Tor 0.4.8.13\n" : "v Tor 0.4.9.1-alpha\n";
      s += "w Bandwidth=";
      num(rng.below(100000));
      s += '\n';
    }
    s += ".\n";
    line += entries * 4 + rng.below(400);
  }
  s.resize(n);
  return s;
}

}  // namespace apw
