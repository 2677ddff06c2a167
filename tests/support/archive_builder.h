// Builds tar archives entry by entry for tests through libarchive's writer,
// including hostile ones no well-behaved tool would write (absolute names,
// "..", devices, links out). raw_tar.h builds what libarchive cannot write.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

struct archive;

namespace allocpipe::test {

class ArchiveBuilder {
 public:
  enum class Compression { none, gzip, bzip2, xz };
  static constexpr Compression all[] = {Compression::none, Compression::gzip, Compression::bzip2, Compression::xz};
  static const char* name(Compression compression);

  ArchiveBuilder& file(const std::string& name, const std::string& content, int mode = 0644);
  ArchiveBuilder& dir(const std::string& name, int mode = 0755);
  ArchiveBuilder& symlink(const std::string& name, const std::string& target);
  ArchiveBuilder& hardlink(const std::string& name, const std::string& target);
  ArchiveBuilder& fifo(const std::string& name);
  ArchiveBuilder& char_device(const std::string& name);
  ArchiveBuilder& block_device(const std::string& name);

  void write(const std::filesystem::path& out, Compression compression = Compression::gzip) const;
  void write_zip(const std::filesystem::path& out) const;  // zip, same entries

 private:
  void write_entries(::archive* a) const;
  struct Entry {
    enum Kind { file, dir, symlink, hardlink, fifo, chardev, blockdev } kind;
    std::string name, content;
    int mode;
  };
  std::vector<Entry> entries_;
};

}  // namespace allocpipe::test
