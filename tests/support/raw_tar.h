// Hand-made tar streams for tests: headers, pax records, GNU long names and
// raw bytes exactly as given, so tests can write what no well-behaved tool
// (libarchive's writer included) would: NUL in a pax path, lying sizes,
// bad checksums, odd entry types, garbage after the end marker.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "archive_builder.h"

namespace allocpipe::test {

class RawTar {
 public:
  struct Header {
    std::string name;
    char type = '0';
    std::string link;
    std::uint64_t size = 0;
    int mode = 0644;
    std::string magic = std::string("ustar\0" "00", 8);
    bool bad_checksum = false;
    std::optional<std::string> size_field;  // the 12 raw bytes, instead of `size` in octal
  };

  RawTar& header(const Header& header);
  RawTar& data(const std::string& bytes);  // padded to a 512-byte boundary
  // A complete entry: header with size = data.size() (0 for links and directories), then the data.
  RawTar& file(const std::string& name, const std::string& content, int mode = 0644);
  RawTar& dir(const std::string& name, int mode = 0755);
  RawTar& symlink(const std::string& name, const std::string& target);
  RawTar& hardlink(const std::string& name, const std::string& target);
  // An extension header: 'x' (pax, next entry), 'g' (pax, global); records as given.
  RawTar& pax(const std::vector<std::pair<std::string, std::string>>& records, char type = 'x');
  // GNU 'L' (long name) or 'K' (long link name); the bytes as given plus one NUL.
  RawTar& gnu_long(char type, const std::string& name);
  RawTar& raw(const std::string& bytes);  // no padding
  RawTar& end();                          // two zero blocks

  const std::string& bytes() const { return out_; }
  static std::string pax_record(const std::string& key, const std::string& value);

 private:
  std::string out_;
};

// `bytes` compressed by libarchive's own writer (raw format + filter), so the
// tests never check our decoders against themselves.
std::string compress(const std::string& bytes, ArchiveBuilder::Compression compression);
void write_file(const std::filesystem::path& file, const std::string& bytes);
std::string read_file(const std::filesystem::path& file);

}  // namespace allocpipe::test
