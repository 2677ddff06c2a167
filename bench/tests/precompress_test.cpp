// The workers' precompression (bench/workload/precompress.h): the real
// libraries really compress (their output decompresses to the input), and the
// output buffer is sized as Tor's tor_compress_impl() sizes it.
#include <gtest/gtest.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "precompress.h"

namespace apw {
namespace {

std::string gunzip(const char* p, size_t n) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
  z.avail_in = static_cast<uInt>(n);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

std::string unlzma(const char* p, size_t n) {
  lzma_stream s = LZMA_STREAM_INIT;
  EXPECT_EQ(lzma_alone_decoder(&s, UINT64_MAX), LZMA_OK);
  std::string out(1 << 20, '\0');
  s.next_in = reinterpret_cast<const uint8_t*>(p);
  s.avail_in = n;
  s.next_out = reinterpret_cast<uint8_t*>(out.data());
  s.avail_out = out.size();
  const lzma_ret r = lzma_code(&s, LZMA_FINISH);
  EXPECT_TRUE(r == LZMA_STREAM_END || r == LZMA_OK) << r;
  out.resize(out.size() - s.avail_out);
  lzma_end(&s);
  return out;
}

std::string unzstd(const char* p, size_t n) {
  std::string out(1 << 20, '\0');
  const size_t r = ZSTD_decompress(out.data(), out.size(), p, n);
  EXPECT_FALSE(ZSTD_isError(r)) << ZSTD_getErrorName(r);
  out.resize(ZSTD_isError(r) ? 0 : r);
  return out;
}

TEST(Precompress, EachMethodIsTheRealLibraryAndRoundTrips) {
  Rng rng(7);
  const std::string text = consensus_diff_text(rng, 100000);
  ASSERT_EQ(text.size(), 100000u);
  Tracker t;
  for (TorMethod m : kDiffMethods) {
    Compressed c = tor_compress_best(t, m, text.data(), text.size(), text.size());
    ASSERT_GT(c.len, 0u);
    EXPECT_LT(c.len, text.size() / 2) << "diff text should compress below half";
    // Compressing below half: Tor's first guess (half the input) never grew.
    EXPECT_EQ(c.buf.capacity(), text.size() / 2);
    const std::string back = m == TorMethod::kGzip   ? gunzip(c.buf.data(), c.len)
                             : m == TorMethod::kLzma ? unlzma(c.buf.data(), c.len)
                                                     : unzstd(c.buf.data(), c.len);
    EXPECT_EQ(back, text) << "method " << static_cast<int>(m);
  }
}

TEST(Precompress, IncompressibleInputGrowsTheBufferByDoubling) {
  Rng rng(3);
  std::string noise(20000, '\0');
  for (char& ch : noise) ch = static_cast<char>(rng.below(256));
  Tracker t;
  Compressed c = tor_compress_best(t, TorMethod::kZstd, noise.data(), noise.size(), noise.size());
  EXPECT_GT(c.len, noise.size());                 // noise does not compress: frame overhead
  EXPECT_EQ(c.buf.capacity(), 2 * noise.size());  // 10000 (Tor's guess), doubled twice
  EXPECT_EQ(unzstd(c.buf.data(), c.len), noise);
}

TEST(Precompress, BeyondTheSampleTheOutputScalesAtTheMeasuredRatio) {
  Rng rng(11);
  const std::string sample = consensus_diff_text(rng, 16384);
  Tracker t;
  Compressed real = tor_compress_best(t, TorMethod::kLzma, sample.data(), sample.size(), sample.size());
  Compressed scaled = tor_compress_best(t, TorMethod::kLzma, sample.data(), sample.size(), 16384 * 100);
  EXPECT_EQ(scaled.len, real.len * 100);
  EXPECT_EQ(scaled.buf.capacity(), 16384u * 100 / 2);  // Tor's first guess for the whole input
  // The same input twice gives the same bytes (the run's checksum relies on it).
  Rng again(11);
  EXPECT_EQ(consensus_diff_text(again, 16384), sample);
}

}  // namespace
}  // namespace apw
