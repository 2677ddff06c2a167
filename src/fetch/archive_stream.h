// The bytes of a source archive as one stream we control end to end:
//
//   raw file --(hashed while read)--> decoder --> tar scanner --> libarchive
//
// The decoder is libarchive's gzip, bzip2 or xz filter, one layer only,
// picked by the magic number (zip and other formats are refused by name),
// or none. Integrity of the compressed bytes is the archive's SHA-256, not
// a CRC (README, "Security model"). The scanner checks the tar structure
// strictly before libarchive's tar parser reads a byte of it: header
// checksums and magic, numeric fields, pax records (well-formed, no NUL in
// any value, no sparse-file keys), GNU long names (no embedded NUL), header
// sizes, the allowed entry types, zero-size links/directories, the
// end-of-archive marker, and nothing but zeros after it. Where libarchive's
// tar parser is lenient (it truncates pax paths at NUL, accepts a missing
// end marker, guesses hard-link sizes) the scanner fails closed, so the
// parser only ever sees archives whose meaning is unambiguous. The byte and
// ratio limits apply to what the decoder produces, whoever decodes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fd.h"
#include "sha256.h"

namespace allocpipe {

// Limits for one extraction; the CLI exposes each as a flag.
struct ExtractLimits {
  std::uint64_t max_total_bytes = std::uint64_t{2} << 30;  // the uncompressed tar stream
  std::uint64_t max_entries = 100000;
  std::uint64_t max_ratio = 200;                      // uncompressed / compressed ...
  std::uint64_t ratio_grace_bytes = std::uint64_t{16} << 20;  // ... checked past this many bytes
  std::uint64_t max_header_bytes = 64 << 10;          // one pax or GNU long-name header
  std::uint64_t max_depth = 128;                      // components in one name (bounds per-path cost)
};

enum class Codec { none, gzip, bzip2, xz };
const char* codec_name(Codec codec);

// Pull-based source of raw bytes. read() returns 0 only at the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::size_t read(unsigned char* buffer, std::size_t size) = 0;
};

// A file, hashed (SHA-256) and counted as it is read.
class FileSource : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& file);  // a regular file only
  std::size_t read(unsigned char* buffer, std::size_t size) override;
  std::uint64_t bytes_read() const { return bytes_; }
  std::string hex_digest() { return hash_.hex_digest(); }  // once, after the end

 private:
  std::filesystem::path file_;
  Fd fd_;
  Sha256 hash_;
  std::uint64_t bytes_ = 0;
};

// Bytes in memory (tests, fuzzing).
class MemorySource : public ByteSource {
 public:
  MemorySource(const unsigned char* data, std::size_t size) : data_(data), size_(size) {}
  std::size_t read(unsigned char* buffer, std::size_t size) override;

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Decompresses `raw`, detected from its first bytes. read() returns 0 at
// the end of the (last) compressed stream; a truncated or corrupt stream
// throws Error. What follows the compressed data is ignored, as gzip(1),
// bzip2(1) and libarchive ignore it: those bytes are pinned like the rest.
class Decoder {
 public:
  virtual ~Decoder() = default;
  static std::unique_ptr<Decoder> open(ByteSource& raw);
  virtual std::size_t read(unsigned char* out, std::size_t size) = 0;
  virtual Codec kind() const = 0;
  virtual std::uint64_t consumed() const = 0;  // raw bytes taken from the source
};

// Validates a tar stream incrementally; throws Error on the first problem.
class TarScanner {
 public:
  explicit TarScanner(const ExtractLimits& limits) : limits_(limits) {}
  void feed(const unsigned char* data, std::size_t size);
  void finish() const;  // throws unless the stream ended right after a proper end marker
  std::uint64_t entries() const { return entries_; }

 private:
  enum class State { header, special, skip, end };
  void on_header(const unsigned char* block);
  void check_checksum_and_magic(const unsigned char* block, const std::string& at) const;
  std::uint64_t parse_size(const unsigned char* field, const std::string& at) const;
  void begin_extension(char type, std::uint64_t size, const std::string& at);
  std::uint64_t entry_data_size(char type, std::uint64_t size, bool has_link_name, const std::string& at) const;
  void account_entry(std::uint64_t data, const std::string& at);
  void on_special_complete();
  void check_pax_records(const std::string& data, bool global);
  [[noreturn]] void fail(const std::string& why) const;

  ExtractLimits limits_;
  State state_ = State::header;
  unsigned char block_[512] = {};
  std::size_t block_fill_ = 0;
  std::uint64_t offset_ = 0;        // bytes of the tar stream seen so far
  std::uint64_t skip_ = 0;          // bytes of data (with padding) still to pass over
  std::uint64_t header_offset_ = 0; // where the header being handled started
  char special_type_ = 0;
  std::uint64_t special_size_ = 0;  // data bytes of the special header being collected
  std::uint64_t special_padding_ = 0;
  std::string special_;
  int specials_in_row_ = 0;
  std::optional<std::uint64_t> pax_size_;
  bool link_name_pending_ = false;  // a pax linkpath or GNU 'K' for the next entry
  std::uint64_t entries_ = 0;
  std::uint64_t declared_ = 0;
};

// decoder -> scanner, with the byte and ratio limits. read() hands out the
// next validated chunk (0 at the end); finish() drains whatever the consumer
// did not read and runs every end-of-stream check.
class TarStream {
 public:
  TarStream(ByteSource& raw, const ExtractLimits& limits);
  std::size_t read(const unsigned char** data);
  void finish();
  Codec codec() const { return decoder_->kind(); }
  std::uint64_t uncompressed() const { return uncompressed_; }

 private:
  std::size_t pull();  // decoder output, with the byte and ratio limits
  ExtractLimits limits_;
  std::unique_ptr<Decoder> decoder_;
  TarScanner scanner_;
  std::vector<unsigned char> buffer_;
  std::uint64_t uncompressed_ = 0;
  bool ended_ = false;
};

}  // namespace allocpipe
