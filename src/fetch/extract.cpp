#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "error.h"

namespace fs = std::filesystem;

namespace allocpipe {
namespace {

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using Reader = std::unique_ptr<archive, ReadFree>;
using Writer = std::unique_ptr<archive, WriteFree>;

enum class Kind { file, directory, symlink };

// Splits a member name into components, dropping "." and empty parts.
// Throws on anything that could name a place outside the tree.
std::vector<std::string> checked_components(const std::string& name, const std::string& what) {
  if (name.empty()) throw Error(what + ": empty name");
  if (name.front() == '/') throw Error(what + " '" + name + "': absolute path refused");
  std::vector<std::string> parts;
  std::string part;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      if (part == "..") throw Error(what + " '" + name + "': '..' component refused");
      if (!part.empty() && part != ".") parts.push_back(part);
      part.clear();
    } else {
      part.push_back(name[i]);
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

// True when `target` (relative, as stored in the link) resolved from the
// link's directory never climbs above the tree root, even temporarily.
bool stays_inside(const std::vector<std::string>& link_parts, const std::string& target) {
  if (target.empty() || target.front() == '/') return false;
  // Depth of the link's directory below the top-level directory, which is
  // the tree that survives extraction.
  long depth = static_cast<long>(link_parts.size()) - 2;
  std::string part;
  for (std::size_t i = 0; i <= target.size(); ++i) {
    if (i == target.size() || target[i] == '/') {
      if (part == "..") {
        if (--depth < 0) return false;
      } else if (!part.empty() && part != ".") {
        ++depth;
      }
      part.clear();
    } else {
      part.push_back(target[i]);
    }
  }
  return true;
}

bool is_within(const fs::path& root, const fs::path& path) {
  auto r = root.begin();
  auto p = path.begin();
  for (; r != root.end(); ++r, ++p)
    if (p == path.end() || *r != *p) return false;
  return true;
}

class Extraction {
 public:
  Extraction(const fs::path& archive, const fs::path& work, const ExtractLimits& limits)
      : archive_(archive), work_(fs::canonical(work)), limits_(limits) {}

  void run() {
    Reader reader(archive_read_new());
    Writer writer(archive_write_disk_new());
    if (!reader || !writer) throw Error("libarchive could not allocate a reader/writer");
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());
    archive_read_support_format_gnutar(reader.get());
    archive_read_support_format_zip(reader.get());
    // Our own checks come first; libarchive's secure flags are a second line.
    archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                     ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                     ARCHIVE_EXTRACT_NO_OVERWRITE);
    if (archive_read_open_filename(reader.get(), archive_.c_str(), 1 << 16) != ARCHIVE_OK)
      fail(std::string("cannot open: ") + archive_error_string(reader.get()));

    archive_entry* entry = nullptr;
    for (;;) {
      const int rc = archive_read_next_header(reader.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) fail(std::string("corrupt or truncated archive: ") + archive_error_string(reader.get()));
      if (++entries_ > limits_.max_entries)
        fail("more than " + std::to_string(limits_.max_entries) + " entries");
      write_entry(reader.get(), writer.get(), entry);
    }
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
      fail(std::string("finishing extraction failed: ") + archive_error_string(writer.get()));
    check_links_resolve_inside();
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("extract " + archive_.string() + ": " + why);
  }
  [[noreturn]] void refuse(const std::string& name, const std::string& why) const {
    fail("entry '" + name + "': " + why);
  }

  void write_entry(archive* reader, archive* writer, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    const std::string name = raw ? raw : "";
    std::vector<std::string> parts;
    try {
      parts = checked_components(name, "entry");
    } catch (const Error& e) {
      fail(e.what());
    }
    if (parts.empty()) return;  // the "./" root entry
    const std::string clean = join(parts, parts.size());
    for (std::size_t i = 1; i < parts.size(); ++i) {
      auto seen = seen_.find(join(parts, i));
      if (seen != seen_.end() && seen->second != Kind::directory)
        refuse(name, "its parent '" + seen->first + "' is not a directory (writing through links is refused)");
    }

    const char* hardlink = archive_entry_hardlink(entry);
    const mode_t type = archive_entry_filetype(entry);
    Kind kind = Kind::file;
    if (hardlink) {
      std::vector<std::string> target;
      try {
        target = checked_components(hardlink, "hard link target");
      } catch (const Error& e) {
        refuse(name, e.what());
      }
      auto seen = seen_.find(join(target, target.size()));
      if (seen == seen_.end() || seen->second != Kind::file)
        refuse(name, std::string("hard link to '") + hardlink + "', which is not an earlier regular file of the archive");
      archive_entry_set_hardlink(entry, (work_ / join(target, target.size())).c_str());
    } else if (type == AE_IFDIR) {
      kind = Kind::directory;
    } else if (type == AE_IFLNK) {
      kind = Kind::symlink;
      const char* target = archive_entry_symlink(entry);
      if (!target || !stays_inside(parts, target))
        refuse(name, std::string("symlink to '") + (target ? target : "") + "' leaves the tree");
    } else if (type != AE_IFREG) {
      refuse(name, "devices, FIFOs and sockets are refused");
    }

    auto [it, inserted] = seen_.emplace(clean, kind);
    if (!inserted && !(kind == Kind::directory && it->second == Kind::directory))
      refuse(name, "duplicate name or file/directory clash");

    const la_int64_t declared = archive_entry_size(entry);
    if (declared > 0 && static_cast<std::uint64_t>(declared) > limits_.max_total_bytes)
      refuse(name, "declares " + std::to_string(declared) + " bytes, over the limit of " +
                       std::to_string(limits_.max_total_bytes));

    const mode_t perm = archive_entry_perm(entry);
    archive_entry_set_perm(entry, kind == Kind::directory ? ((perm & 0755) | 0700) : ((perm & 0755) | 0600));
    archive_entry_set_pathname(entry, (work_ / clean).c_str());
    if (archive_write_header(writer, entry) != ARCHIVE_OK)
      refuse(name, std::string("cannot write: ") + archive_error_string(writer));
    if (kind == Kind::file && !hardlink) copy_data(reader, writer, name);
    if (archive_write_finish_entry(writer) != ARCHIVE_OK)
      refuse(name, std::string("cannot finish: ") + archive_error_string(writer));
  }

  void copy_data(archive* reader, archive* writer, const std::string& name) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int rc = archive_read_data_block(reader, &block, &size, &offset);
      if (rc == ARCHIVE_EOF) return;
      if (rc != ARCHIVE_OK) refuse(name, std::string("corrupt data: ") + archive_error_string(reader));
      total_ += size;
      if (total_ > limits_.max_total_bytes)
        fail("expands past the limit of " + std::to_string(limits_.max_total_bytes) + " bytes");
      const auto compressed = static_cast<std::uint64_t>(archive_filter_bytes(reader, -1));
      if (total_ > (std::uint64_t{16} << 20) && compressed > 0 && total_ / compressed > limits_.max_ratio)
        fail("expansion ratio over " + std::to_string(limits_.max_ratio) + ":1 (archive bomb?)");
      if (archive_write_data_block(writer, block, size, offset) != ARCHIVE_OK)
        refuse(name, std::string("cannot write data: ") + archive_error_string(writer));
    }
  }

  // Lexical checks cannot see links chained through other links
  // (par -> cur/.. with cur -> .); resolving them on disk can. The tree is
  // the top-level directory the link lives in: that is what survives.
  void check_links_resolve_inside() const {
    for (const auto& [name, kind] : seen_) {
      if (kind != Kind::symlink) continue;
      std::error_code ec;
      const fs::path tree = work_ / name.substr(0, name.find('/'));
      const fs::path resolved = fs::weakly_canonical(work_ / name, ec);
      if (ec || !is_within(tree, resolved) || resolved == tree.parent_path())
        fail("entry '" + name + "': symlink resolves outside the tree");
    }
  }

  fs::path archive_;
  fs::path work_;
  ExtractLimits limits_;
  std::map<std::string, Kind> seen_;
  std::uint64_t entries_ = 0;
  std::uint64_t total_ = 0;
};

fs::path make_work_dir(const fs::path& dest) {
  std::string templ = (dest.parent_path() / ("." + dest.filename().string() + ".partial-XXXXXX")).string();
  if (!mkdtemp(templ.data())) throw Error("cannot create a work directory beside " + dest.string());
  return templ;
}

}  // namespace

void extract_archive(const fs::path& archive, const fs::path& dest, const ExtractLimits& limits,
                     const TreeCheck& validate) {
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  const fs::path work = make_work_dir(dest);
  try {
    Extraction(archive, work, limits).run();
    std::vector<fs::path> top;
    for (const auto& item : fs::directory_iterator(work)) top.push_back(item.path());
    if (top.size() != 1 || fs::is_symlink(top.front()) || !fs::is_directory(top.front()))
      throw Error("extract " + archive.string() + ": expected exactly one top-level directory, found " +
                  std::to_string(top.size()) + " top-level entries");
    if (validate) validate(top.front());
    fs::remove_all(dest);
    fs::rename(top.front(), dest);
    fs::remove(work);
  } catch (...) {
    fs::remove_all(work, ec);
    throw;
  }
}

}  // namespace allocpipe
