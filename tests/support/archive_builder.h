// Builds tar archives entry by entry for tests, including hostile ones no
// well-behaved tool would write (absolute names, "..", devices, links out).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace allocpipe::test {

class ArchiveBuilder {
 public:
  enum class Compression { none, gzip, bzip2, xz };

  ArchiveBuilder& file(const std::string& name, const std::string& content, int mode = 0644);
  ArchiveBuilder& dir(const std::string& name, int mode = 0755);
  ArchiveBuilder& symlink(const std::string& name, const std::string& target);
  ArchiveBuilder& hardlink(const std::string& name, const std::string& target);
  ArchiveBuilder& fifo(const std::string& name);
  ArchiveBuilder& char_device(const std::string& name);

  void write(const std::filesystem::path& out, Compression compression = Compression::gzip) const;

 private:
  struct Entry {
    enum Kind { file, dir, symlink, hardlink, fifo, chardev } kind;
    std::string name, content;
    int mode;
  };
  std::vector<Entry> entries_;
};

}  // namespace allocpipe::test
