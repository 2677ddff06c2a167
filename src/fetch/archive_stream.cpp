#include "archive_stream.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string_view>

#include "error.h"

namespace allocpipe {
namespace {

constexpr std::size_t chunk = 64 << 10;

std::string str(std::uint64_t n) { return std::to_string(n); }

// Buffered view of a ByteSource that can peek a few bytes (magic numbers).
class Input {
 public:
  explicit Input(ByteSource& source) : source_(source), buffer_(chunk) {}

  // True when at least one unread byte is available.
  bool fill() {
    if (pos_ < len_) return true;
    if (eof_) return false;
    pos_ = 0;
    len_ = source_.read(buffer_.data(), buffer_.size());
    if (len_ == 0) eof_ = true;
    return len_ > 0;
  }
  // Makes up to `n` bytes available; returns how many are.
  std::size_t peek(std::size_t n) {
    if (available() >= n || eof_) return available();
    std::memmove(buffer_.data(), buffer_.data() + pos_, available());
    len_ -= pos_;
    pos_ = 0;
    while (len_ < n && !eof_) {
      const std::size_t got = source_.read(buffer_.data() + len_, buffer_.size() - len_);
      if (got == 0) eof_ = true;
      len_ += got;
    }
    return available();
  }
  unsigned char* data() { return buffer_.data() + pos_; }
  std::size_t available() const { return len_ - pos_; }
  void consume(std::size_t n) {
    pos_ += n;
    consumed_ += n;
  }
  std::uint64_t consumed() const { return consumed_; }

 private:
  ByteSource& source_;
  std::vector<unsigned char> buffer_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  bool eof_ = false;
  std::uint64_t consumed_ = 0;
};

class PlainDecoder : public Decoder {
 public:
  explicit PlainDecoder(std::unique_ptr<Input> in) : in_(std::move(in)) {}
  std::size_t read(unsigned char* out, std::size_t size) override {
    if (!in_->fill()) return 0;
    const std::size_t n = std::min(size, in_->available());
    std::memcpy(out, in_->data(), n);
    in_->consume(n);
    return n;
  }
  Codec kind() const override { return Codec::none; }
  std::uint64_t consumed() const override { return in_->consumed(); }

 private:
  std::unique_ptr<Input> in_;
};

// gzip, bzip2 and xz through libarchive's own filters (zlib, libbz2,
// liblzma underneath), read as one raw stream: we decompress nothing by
// hand. The archive's SHA-256 was verified before extraction and is checked
// again over these very bytes, so a CRC adds nothing; the limits on what
// comes out are TarStream's (README, "Security model").
class FilterDecoder : public Decoder {
 public:
  FilterDecoder(std::unique_ptr<Input> in, Codec codec) : in_(std::move(in)), codec_(codec), reader_(archive_read_new()) {
    if (!reader_) throw Error("libarchive could not allocate a reader");
    // ARCHIVE_WARN would mean an external program decompresses: refused.
    const int rc = codec == Codec::gzip    ? archive_read_support_filter_gzip(reader_.get())
                   : codec == Codec::bzip2 ? archive_read_support_filter_bzip2(reader_.get())
                                           : archive_read_support_filter_xz(reader_.get());
    if (rc != ARCHIVE_OK) throw Error(std::string("libarchive cannot decompress ") + codec_name(codec) + " in-process");
    archive_read_support_format_raw(reader_.get());
    if (archive_read_open(reader_.get(), this, nullptr, &FilterDecoder::pull, nullptr) != ARCHIVE_OK) fail();
    archive_entry* entry = nullptr;
    if (archive_read_next_header(reader_.get(), &entry) != ARCHIVE_OK) fail();
    // One compression layer, the one the magic number named: libarchive
    // would otherwise unwrap a gzip inside a bzip2 inside an xz.
    if (archive_filter_count(reader_.get()) != 2 || archive_filter_code(reader_.get(), 0) != filter_code(codec))
      throw Error(std::string("nested compression inside the ") + codec_name(codec) +
                  " data refused (only tar, optionally compressed once)");
  }
  Codec kind() const override { return codec_; }
  std::uint64_t consumed() const override { return in_->consumed(); }

  std::size_t read(unsigned char* out, std::size_t size) override {
    const la_ssize_t n = archive_read_data(reader_.get(), out, size);
    if (n < 0) fail();
    return static_cast<std::size_t>(n);
  }

 private:
  struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
  };
  static int filter_code(Codec codec) {
    return codec == Codec::gzip ? ARCHIVE_FILTER_GZIP : codec == Codec::bzip2 ? ARCHIVE_FILTER_BZIP2 : ARCHIVE_FILTER_XZ;
  }
  static la_ssize_t pull(archive* a, void* client, const void** buffer) {
    auto* self = static_cast<FilterDecoder*>(client);
    try {
      if (!self->in_->fill()) return 0;
      *buffer = self->in_->data();
      const std::size_t n = self->in_->available();
      self->in_->consume(n);
      return static_cast<la_ssize_t>(n);
    } catch (const std::exception& e) {
      self->source_error_ = e.what();
      archive_set_error(a, EIO, "%s", e.what());
      return -1;
    }
  }
  [[noreturn]] void fail() const {
    if (!source_error_.empty()) throw Error(source_error_);
    const char* text = archive_error_string(reader_.get());
    throw Error(std::string("corrupt or truncated ") + codec_name(codec_) + " data: " +
                printable(text ? text : "unknown libarchive error") + " (byte " + str(in_->consumed()) +
                " of the file read so far)");
  }

  std::unique_ptr<Input> in_;
  Codec codec_;
  std::unique_ptr<archive, ReadFree> reader_;
  std::string source_error_;
};

bool starts_with(const unsigned char* data, std::size_t size, const char* magic, std::size_t length) {
  return size >= length && std::memcmp(data, magic, length) == 0;
}

}  // namespace

const char* codec_name(Codec codec) {
  switch (codec) {
    case Codec::none: return "none";
    case Codec::gzip: return "gzip";
    case Codec::bzip2: return "bzip2";
    case Codec::xz: return "xz";
  }
  return "?";
}

FileSource::FileSource(const std::filesystem::path& file) : file_(file) {
  std::string why;
  fd_ = open_regular_file(file, why);
  if (!fd_) throw Error(file.string() + " " + why);
}

std::size_t FileSource::read(unsigned char* buffer, std::size_t size) {
  const ssize_t n = read_some(fd_.get(), buffer, size);
  if (n < 0) throw Error("reading " + file_.string() + " failed: " + errno_text(errno));
  hash_.update(buffer, static_cast<std::size_t>(n));
  bytes_ += static_cast<std::uint64_t>(n);
  return static_cast<std::size_t>(n);
}

std::size_t MemorySource::read(unsigned char* buffer, std::size_t size) {
  const std::size_t n = std::min(size, size_ - pos_);
  if (n > 0) std::memcpy(buffer, data_ + pos_, n);
  pos_ += n;
  return n;
}

std::unique_ptr<Decoder> Decoder::open(ByteSource& raw) {
  auto in = std::make_unique<Input>(raw);
  const std::size_t n = in->peek(6);
  const unsigned char* d = in->data();
  if (n == 0) throw Error("the archive is empty");
  if (starts_with(d, n, "\x1f\x8b", 2)) return std::make_unique<FilterDecoder>(std::move(in), Codec::gzip);
  if (starts_with(d, n, "BZh", 3)) return std::make_unique<FilterDecoder>(std::move(in), Codec::bzip2);
  if (starts_with(d, n, "\xfd" "7zXZ\0", 6)) return std::make_unique<FilterDecoder>(std::move(in), Codec::xz);
  if (starts_with(d, n, "PK\x03\x04", 4) || starts_with(d, n, "PK\x05\x06", 4) || starts_with(d, n, "PK\x07\x08", 4))
    throw Error("zip archives are not supported (only tar, optionally gzip-, bzip2- or xz-compressed)");
  if (starts_with(d, n, "\x28\xb5\x2f\xfd", 4) || starts_with(d, n, "\x04\x22\x4d\x18", 4) ||
      starts_with(d, n, "\x1f\x9d", 2) || starts_with(d, n, "7z\xbc\xaf\x27\x1c", 6) || starts_with(d, n, "Rar!", 4) ||
      starts_with(d, n, "\x5d\x00\x00", 3))
    throw Error("unsupported compression or archive format (only tar, optionally gzip-, bzip2- or xz-compressed)");
  return std::make_unique<PlainDecoder>(std::move(in));
}

// ---- tar structure ---------------------------------------------------------

namespace {

std::uint64_t padding(std::uint64_t size) { return (512 - size % 512) % 512; }

std::string describe_type(char type) {
  switch (type) {
    case 'S': return "GNU sparse file";
    case 'V': return "GNU volume label";
    case 'M': return "GNU multi-volume continuation";
    case 'N': return "old GNU long-name script";
    case 'D': return "GNU dump directory";
    case 'A': return "Solaris ACL";
    case 'X': return "Sun extended header";
    case 'E': return "Solaris extended attribute";
    case 'I': return "inode-only entry";
    default: return "unknown";
  }
}


}  // namespace

void TarScanner::fail(const std::string& why) const { throw Error("tar: " + why); }

void TarScanner::feed(const unsigned char* data, std::size_t size) {
  auto advance = [&](std::size_t n) {
    data += n;
    size -= n;
    offset_ += n;
  };
  while (size > 0) {
    switch (state_) {
      case State::end:
        for (std::size_t i = 0; i < size; ++i)
          if (data[i] != 0)
            fail("trailing garbage after the end-of-archive marker (non-zero byte at offset " + str(offset_ + i) + ")");
        advance(size);
        break;
      case State::skip: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, size));
        skip_ -= n;
        advance(n);
        if (skip_ == 0) state_ = State::header;
        break;
      }
      case State::special: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(special_size_ - special_.size(), size));
        special_.append(reinterpret_cast<const char*>(data), n);
        advance(n);
        if (special_.size() == special_size_) on_special_complete();
        break;
      }
      case State::header: {
        const std::size_t n = std::min<std::size_t>(512 - block_fill_, size);
        std::memcpy(block_ + block_fill_, data, n);
        block_fill_ += n;
        advance(n);
        if (block_fill_ == 512) {
          block_fill_ = 0;
          header_offset_ = offset_ - 512;
          on_header(block_);
        }
        break;
      }
    }
  }
}

// One 512-byte header: parse (checksum, magic, size), classify (extension
// header or entry, and what an entry of that type may declare), then account
// for the entry (count, declared bytes) and skip its data.
void TarScanner::on_header(const unsigned char* h) {
  const std::string at = " at offset " + str(header_offset_);
  if (std::all_of(h, h + 512, [](unsigned char c) { return c == 0; })) {
    if (specials_in_row_ > 0) fail("the archive ends right after an extension header" + at);
    state_ = State::end;
    return;
  }
  check_checksum_and_magic(h, at);
  const std::uint64_t size = parse_size(h + 124, at);
  const char type = static_cast<char>(h[156]);
  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') return begin_extension(type, size, at);
  const bool has_link_name = h[157] != 0 || link_name_pending_;
  account_entry(entry_data_size(type, size, has_link_name, at), at);
}

// The checksum field holds octal digits, spaces or NULs; the sum may be over
// unsigned or (old BSD/Solaris tars) signed bytes, as libarchive accepts.
void TarScanner::check_checksum_and_magic(const unsigned char* h, const std::string& at) const {
  std::uint64_t stored = 0;
  std::size_t i = 148;
  while (i < 156 && (h[i] == ' ' || h[i] == '\t')) ++i;
  for (; i < 156 && h[i] >= '0' && h[i] <= '7'; ++i) stored = stored * 8 + static_cast<unsigned>(h[i] - '0');
  for (std::size_t j = 148; j < 156; ++j)
    if (h[j] != ' ' && h[j] != '\0' && (h[j] < '0' || h[j] > '7')) fail("malformed header checksum field" + at);
  long unsigned_sum = 0, signed_sum = 0;
  for (std::size_t k = 0; k < 512; ++k) {
    const unsigned char c = (k >= 148 && k < 156) ? ' ' : h[k];
    unsigned_sum += c;
    signed_sum += static_cast<signed char>(c);
  }
  if (static_cast<long>(stored) != unsigned_sum && static_cast<long>(stored) != signed_sum)
    fail("header checksum mismatch" + at + " (damaged, or not a tar archive)");
  if (std::memcmp(h + 257, "ustar", 5) != 0)
    fail("no ustar magic in the header" + at + ": not a POSIX or GNU tar archive (old v7 tar is not accepted)");
}

// The 12-byte size field: strict octal (digits, then only spaces/NULs) or
// positive base-256.
std::uint64_t TarScanner::parse_size(const unsigned char* f, const std::string& at) const {
  std::uint64_t size = 0;
  if (f[0] & 0x80) {
    if (f[0] != 0x80) fail("negative or malformed base-256 size" + at);
    for (std::size_t i = 1; i < 12; ++i) {
      if (size >> 55) fail("size too large" + at);
      size = (size << 8) | f[i];
    }
    if (size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) fail("size too large" + at);
    return size;
  }
  std::size_t i = 0;
  while (i < 12 && (f[i] == ' ' || f[i] == '\t')) ++i;
  for (; i < 12 && f[i] >= '0' && f[i] <= '7'; ++i) size = size * 8 + static_cast<unsigned>(f[i] - '0');
  for (; i < 12 && (f[i] == ' ' || f[i] == '\0'); ++i) {
  }
  if (i != 12) fail("malformed size field" + at);
  return size;
}

// A pax ('x', 'g') or GNU long-name ('L', 'K') header: its data is collected
// and checked (on_special_complete) before the entry it applies to.
void TarScanner::begin_extension(char type, std::uint64_t size, const std::string& at) {
  if (++specials_in_row_ > 8) fail("more than 8 extension headers in a row" + at);
  const char* what = (type == 'L' || type == 'K') ? "GNU long-name header" : "pax extended header";
  if (size > limits_.max_header_bytes)
    fail(std::string(what) + " of " + str(size) + " bytes" + at + " exceeds the limit of " +
         str(limits_.max_header_bytes) + " bytes");
  special_type_ = type;
  special_size_ = size;
  special_padding_ = padding(size);
  special_.clear();
  state_ = State::special;
  if (size == 0) on_special_complete();
}

// The data bytes an entry of `type` carries; refuses types outside the
// allow-list and fields a reader would have to guess about.
std::uint64_t TarScanner::entry_data_size(char type, std::uint64_t size, bool has_link_name,
                                          const std::string& at) const {
  switch (type) {
    case '0':
    case '\0':
    case '7':
      if (has_link_name) fail("a regular-file entry carries a link name" + at);
      return pax_size_ ? *pax_size_ : size;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
      // libarchive guesses whether a hard link's size means data; we refuse
      // to leave anything to guessing.
      if (size != 0 || (pax_size_ && *pax_size_ != 0))
        fail("a link, directory or device entry declares a non-zero size" + at);
      if (has_link_name && type != '1' && type != '2') fail("a directory or device entry carries a link name" + at);
      return 0;
    default:
      fail("unsupported tar entry type '" + printable(std::string(1, type)) + "' (" + describe_type(type) + ")" + at);
  }
}

void TarScanner::account_entry(std::uint64_t data, const std::string& at) {
  if (++entries_ > limits_.max_entries) fail("more than " + str(limits_.max_entries) + " entries");
  if (data > limits_.max_total_bytes - std::min(declared_, limits_.max_total_bytes))
    fail("entries declare more than the limit of " + str(limits_.max_total_bytes) + " bytes (an entry" + at +
         " declares " + str(data) + ")");
  declared_ += data;
  specials_in_row_ = 0;
  pax_size_.reset();
  link_name_pending_ = false;
  skip_ = data + padding(data);
  state_ = skip_ > 0 ? State::skip : State::header;
}

void TarScanner::on_special_complete() {
  const std::string at = " at offset " + str(header_offset_);
  if (special_type_ == 'x' || special_type_ == 'g') {
    check_pax_records(special_, special_type_ == 'g');
  } else {
    const std::string what = special_type_ == 'L' ? "GNU long name" : "GNU long link name";
    const auto nul = special_.find('\0');
    if (nul != std::string::npos && special_.find_first_not_of('\0', nul) != std::string::npos)
      fail("NUL byte inside a " + what + at);
    if (special_.empty() || nul == 0) fail("empty " + what + at);
    if (special_type_ == 'K') link_name_pending_ = true;
  }
  std::string().swap(special_);
  skip_ = special_padding_;
  state_ = skip_ > 0 ? State::skip : State::header;
}

void TarScanner::check_pax_records(const std::string& data, bool global) {
  const std::string at = " at offset " + str(header_offset_);
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t i = pos, length = 0, digits = 0;
    while (i < data.size() && data[i] >= '0' && data[i] <= '9') {
      if (++digits > 7) fail("pax record length too long" + at);
      length = length * 10 + static_cast<std::size_t>(data[i] - '0');
      ++i;
    }
    if (digits == 0 || i >= data.size() || data[i] != ' ')
      fail("malformed pax record" + at + " (expected '<length> <key>=<value>\\n')");
    if (length < (i - pos) + 3 || length > data.size() - pos || data[pos + length - 1] != '\n')
      fail("malformed pax record" + at + " (its length field does not match)");
    const std::string_view record(data.data() + i + 1, pos + length - 1 - (i + 1));
    const auto eq = record.find('=');
    if (eq == std::string_view::npos || eq == 0) fail("malformed pax record" + at + " (no key)");
    const std::string key(record.substr(0, eq));
    const std::string_view value = record.substr(eq + 1);
    if (key.find('\0') != std::string::npos) fail("NUL byte in a pax key" + at);
    const bool binary = key.rfind("SCHILY.xattr.", 0) == 0 || key.rfind("LIBARCHIVE.xattr.", 0) == 0;
    if (!binary && value.find('\0') != std::string_view::npos)
      fail("NUL byte in the pax '" + printable(key) + "' value" + at + " (a reader would silently truncate it)");
    if (key.rfind("GNU.sparse.", 0) == 0 || key == "SCHILY.realsize")
      fail("sparse file (pax '" + printable(key) + "')" + at + ": sparse files are refused");
    if (global) {
      if (key == "path" || key == "linkpath" || key == "size")
        fail("pax global header sets '" + key + "'" + at + ", which tar readers disagree about");
    } else {
      if ((key == "path" || key == "linkpath") && value.empty()) fail("empty pax '" + key + "'" + at);
      if (key == "linkpath") link_name_pending_ = true;
      if (key == "size") {
        if (value.empty() || value.size() > 18 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
          fail("malformed pax size '" + printable(std::string(value)) + "'" + at);
        pax_size_ = std::stoull(std::string(value));
      }
    }
    pos += length;
  }
}

void TarScanner::finish() const {
  if (state_ == State::end) return;
  if (state_ == State::header && block_fill_ == 0)
    fail("truncated archive: it ends at offset " + str(offset_) + " without an end-of-archive marker");
  fail("truncated archive: it ends at offset " + str(offset_) + " inside " +
       (state_ == State::header ? "a header" : "an entry"));
}

TarStream::TarStream(ByteSource& raw, const ExtractLimits& limits)
    : limits_(limits), decoder_(Decoder::open(raw)), scanner_(limits), buffer_(chunk) {}

std::size_t TarStream::pull() {
  const std::size_t n = decoder_->read(buffer_.data(), buffer_.size());
  uncompressed_ += n;
  if (uncompressed_ > limits_.max_total_bytes)
    throw Error("the uncompressed archive exceeds the limit of " + str(limits_.max_total_bytes) + " bytes");
  const std::uint64_t compressed = std::max<std::uint64_t>(decoder_->consumed(), 1);
  if (uncompressed_ > limits_.ratio_grace_bytes && uncompressed_ / compressed > limits_.max_ratio)
    throw Error("expansion ratio over " + str(limits_.max_ratio) + ":1 (" + str(uncompressed_) + " bytes from " +
                str(compressed) + " compressed): archive bomb?");
  return n;
}

std::size_t TarStream::read(const unsigned char** data) {
  if (ended_) return 0;
  const std::size_t n = pull();
  if (n == 0) {
    ended_ = true;
    return 0;
  }
  try {
    scanner_.feed(buffer_.data(), n);
  } catch (const Error&) {
    // bzip2 and xz verify a block only at its end, so corrupt data can reach
    // the tar checks first: name the corruption when there is one.
    while (pull() > 0) {
    }
    throw;
  }
  *data = buffer_.data();
  return n;
}

void TarStream::finish() {
  const unsigned char* data = nullptr;
  while (read(&data) > 0) {
  }
  scanner_.finish();
}

}  // namespace allocpipe
