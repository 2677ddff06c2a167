#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "fd.h"

namespace fs = std::filesystem;

namespace allocpipe {
namespace {

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Reader = std::unique_ptr<archive, ReadFree>;


// The umask without changing it (Linux 4.7+); else the classic set-and-restore.
mode_t process_umask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  const mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

enum class Kind { file, directory, symlink };

struct Node {
  Kind kind;
  std::string link;  // symlink target as stored
};

// Splits a name into components, dropping "." and empty parts. Throws on
// anything that could name a place outside the tree.
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

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!part.empty()) parts.push_back(part);
      part.clear();
    } else {
      part.push_back(path[i]);
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

bool is_within(const fs::path& root, const fs::path& path) {
  auto r = root.begin();
  auto p = path.begin();
  for (; r != root.end(); ++r, ++p)
    if (p == path.end() || *r != *p) return false;
  return true;
}

// Opens directory `name` below `at` without following a symlink, creating
// it (0755 minus umask) first when asked.
Fd open_directory(int at, const std::string& name, bool create, const std::string& shown) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) return Fd(fd);
    if (errno == ENOENT && create && attempt == 0) {
      if (::mkdirat(at, name.c_str(), 0755) != 0 && errno != EEXIST)
        throw Error("cannot create directory '" + shown + "': " + errno_text(errno));
      continue;
    }
    if (errno == ELOOP || errno == ENOTDIR)
      throw Error("'" + shown + "' is not a directory (refusing to follow a symlink)");
    throw Error("cannot open directory '" + shown + "': " + errno_text(errno));
  }
  throw Error("cannot open directory '" + shown + "'");
}

class Extraction {
 public:
  Extraction(const fs::path& archive, const fs::path& work, const ExtractLimits& limits, std::string expected)
      : archive_(archive),
        work_(work),
        limits_(limits),
        expected_(std::move(expected)),
        source_(archive),
        stream_(nullptr) {
    root_ = Fd(::open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (root_.get() < 0) fail("cannot open the work directory " + work.string() + ": " + errno_text(errno));
  }

  void run() {
    try {
      stream_ = std::make_unique<TarStream>(source_, limits_);
    } catch (const Error& e) {
      fail(e.what(), e.status());
    }
    Reader reader(archive_read_new());
    if (!reader) fail("libarchive could not allocate a reader");
    // Only the tar parser: decompression is ours, and no other format is read.
    archive_read_support_format_tar(reader.get());
    if (archive_read_open(reader.get(), this, nullptr, &Extraction::read_callback, nullptr) != ARCHIVE_OK)
      fail_reading(reader.get(), "not a tar archive");

    archive_entry* entry = nullptr;
    for (;;) {
      const int rc = archive_read_next_header(reader.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) fail_reading(reader.get(), "corrupt or truncated archive");
      write_entry(reader.get(), entry);
    }
    try {
      stream_->finish();  // reads what libarchive left: end marker, padding, compression trailer
    } catch (const Error& e) {
      fail(e.what(), e.status());
    }
    if (!expected_.empty()) {
      const std::string actual = source_.hex_digest();
      if (actual != expected_)
        fail("sha256 of the bytes extracted is " + actual + ", expected " + expected_ +
             " (the file changed after it was verified?)",
             Status::wrong_bytes);
    }
    if (top_.empty()) fail("the archive holds no entries; expected exactly one top-level directory");
    check_symlinks();
    set_directory_times();
  }

  const std::string& top() const { return top_; }

 private:
  static la_ssize_t read_callback(archive* a, void* client, const void** buffer) {
    auto* self = static_cast<Extraction*>(client);
    try {
      const unsigned char* data = nullptr;
      const std::size_t n = self->stream_->read(&data);
      *buffer = data;
      return static_cast<la_ssize_t>(n);
    } catch (const std::exception& e) {
      self->stream_error_ = e.what();
      archive_set_error(a, EINVAL, "%s", e.what());
      return -1;
    }
  }

  [[noreturn]] void fail(const std::string& why, Status status = Status::failed) const {
    throw ExtractError("extract " + archive_.string() + ": " + why, status);
  }
  [[noreturn]] void refuse(const std::string& name, const std::string& why) const {
    fail("entry '" + name + "': " + why);
  }
  // libarchive failed: prefer the stream's own diagnosis (which may only
  // show once the rest of the stream is read: a truncation, a CRC error).
  [[noreturn]] void fail_reading(archive* reader, const std::string& what, const std::string& entry = {}) {
    if (stream_error_.empty() && stream_) {
      try {
        stream_->finish();
      } catch (const Error& e) {
        stream_error_ = e.what();
      }
    }
    if (!stream_error_.empty()) fail(stream_error_);
    const char* text = archive_error_string(reader);
    const std::string why = what + ": " + (text ? text : "unknown libarchive error");
    if (!entry.empty()) refuse(entry, why);
    fail(why);
  }

  // The directory holding parts[0..count) below the work root; missing
  // directories are created (and recorded as directories) when `create`.
  Fd open_dir(const std::vector<std::string>& parts, std::size_t count, bool create) const {
    Fd at(::dup(root_.get()));
    if (at.get() < 0) fail("dup failed: " + errno_text(errno));
    for (std::size_t i = 0; i < count; ++i) at = open_directory(at.get(), parts[i], create, join(parts, i + 1));
    return at;
  }

  void write_entry(archive* reader, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    const std::string name = raw ? raw : "";
    if (++entries_ > limits_.max_entries) fail("more than " + std::to_string(limits_.max_entries) + " entries");
    std::vector<std::string> parts;
    try {
      parts = checked_components(name, "entry");
    } catch (const Error& e) {
      fail(e.what(), e.status());
    }
    const mode_t type = archive_entry_filetype(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    if (parts.empty()) {
      if (type == AE_IFDIR && !hardlink) return;  // the "./" root entry
      refuse(name, "names the root of the archive but is not a directory");
    }
    const std::string clean = join(parts, parts.size());

    if (top_.empty()) top_ = parts[0];
    if (parts[0] != top_)
      refuse(name, "a second top-level entry next to '" + top_ + "': expected exactly one top-level directory");
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string parent = join(parts, i);
      auto seen = seen_.find(parent);
      if (seen == seen_.end())
        seen_.emplace(parent, Node{Kind::directory, {}});  // implied by the name; created on the way
      else if (seen->second.kind != Kind::directory)
        refuse(name, "its parent '" + parent + "' is not a directory (writing through links is refused)");
    }

    Kind kind = Kind::file;
    std::vector<std::string> link_target;
    std::string symlink_target;
    if (hardlink) {
      try {
        link_target = checked_components(hardlink, "hard link target");
      } catch (const Error& e) {
        refuse(name, e.what());
      }
      auto seen = seen_.find(join(link_target, link_target.size()));
      if (link_target.empty() || seen == seen_.end() || seen->second.kind != Kind::file || seen->first == clean)
        refuse(name, std::string("hard link to '") + hardlink + "', which is not an earlier regular file of the archive");
    } else if (type == AE_IFDIR) {
      kind = Kind::directory;
    } else if (type == AE_IFLNK) {
      kind = Kind::symlink;
      const char* target = archive_entry_symlink(entry);
      symlink_target = target ? target : "";
      if (!resolves_inside(parts, symlink_target))
        refuse(name, "symlink to '" + symlink_target + "' leaves the tree");
    } else if (type != AE_IFREG) {
      refuse(name, "devices, FIFOs and sockets are refused");
    }
    if (parts.size() == 1 && kind != Kind::directory)
      refuse(name, "the top-level entry is not a directory: expected exactly one top-level directory");

    auto [it, inserted] = seen_.emplace(clean, Node{kind, symlink_target});
    const bool existing_directory = !inserted && kind == Kind::directory && it->second.kind == Kind::directory;
    if (!inserted && !existing_directory) refuse(name, "duplicate name or file/directory clash");

    const std::string leaf = parts.back();
    const mode_t perm = archive_entry_perm(entry);
    try {
      Fd parent = open_dir(parts, parts.size() - 1, true);
      if (hardlink) {
        Fd from = open_dir(link_target, link_target.size() - 1, false);
        struct stat st {};
        if (::fstatat(from.get(), link_target.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
          refuse(name, std::string("hard link target '") + hardlink + "' is not a regular file");
        if (::linkat(from.get(), link_target.back().c_str(), parent.get(), leaf.c_str(), 0) != 0)
          refuse(name, "cannot create hard link: " + errno_text(errno));
      } else if (kind == Kind::directory) {
        // Never setuid/setgid/sticky, never group/other-writable; always usable by us.
        const mode_t mode = (perm & 0755) | 0700;
        if (::mkdirat(parent.get(), leaf.c_str(), mode) != 0) {
          if (errno != EEXIST || !existing_directory) refuse(name, "cannot create directory: " + errno_text(errno));
          Fd dir = open_directory(parent.get(), leaf, false, clean);
          if (::fchmod(dir.get(), mode & ~process_umask()) != 0) refuse(name, "chmod failed: " + errno_text(errno));
        }
        if (archive_entry_mtime_is_set(entry))
          dir_times_.push_back({parts, timespec{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}});
      } else if (kind == Kind::symlink) {
        if (::symlinkat(symlink_target.c_str(), parent.get(), leaf.c_str()) != 0)
          refuse(name, "cannot create symlink: " + errno_text(errno));
      } else {
        const mode_t mode = (perm & 0755) | 0600;
        Fd file(::openat(parent.get(), leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
        if (file.get() < 0) refuse(name, "cannot create file: " + errno_text(errno));
        copy_data(reader, file.get(), name, archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1);
        if (archive_entry_mtime_is_set(entry)) {
          const timespec times[2] = {{0, UTIME_OMIT}, {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}};
          ::futimens(file.get(), times);
        }
        if (const int error = file.close()) refuse(name, "closing the file failed: " + errno_text(error));
      }
    } catch (const ExtractError&) {
      throw;  // already names the archive and the entry
    } catch (const Error& e) {
      refuse(name, e.what());
    }
  }

  void copy_data(archive* reader, int fd, const std::string& name, la_int64_t declared) {
    std::uint64_t written = 0;
    for (;;) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      const int rc = archive_read_data_block(reader, &block, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) fail_reading(reader, "corrupt data", name);
      if (offset < 0 || static_cast<std::uint64_t>(offset) != written)
        refuse(name, "data with holes (sparse files are refused)");
      if (const int error = write_all(fd, block, size)) refuse(name, "writing failed: " + errno_text(error));
      written += size;
    }
    if (declared >= 0 && written != static_cast<std::uint64_t>(declared))
      refuse(name, "holds " + std::to_string(written) + " bytes but declares " + std::to_string(declared));
  }

  // Resolves `target`, stored in the symlink `link`, against the tree as
  // the archive has built it so far, following every symlink of the archive
  // met on the way as the kernel would. False when the walk would leave the
  // top-level directory, meets an absolute target, or loops (> 40 links).
  bool resolves_inside(const std::vector<std::string>& link, const std::string& target) const {
    if (link.size() < 2 || target.empty() || target.front() == '/') return false;
    std::vector<std::string> at(link.begin(), link.end() - 1);
    std::deque<std::string> pending;
    for (auto& part : split(target)) pending.push_back(part);
    int hops = 0;
    while (!pending.empty()) {
      const std::string part = pending.front();
      pending.pop_front();
      if (part == ".") continue;
      if (part == "..") {
        if (at.size() <= 1) return false;
        at.pop_back();
        continue;
      }
      at.push_back(part);
      auto seen = seen_.find(join(at, at.size()));
      if (seen != seen_.end() && seen->second.kind == Kind::symlink) {
        const std::string& next = seen->second.link;
        if (++hops > 40 || next.empty() || next.front() == '/') return false;
        at.pop_back();
        const auto parts = split(next);
        pending.insert(pending.begin(), parts.begin(), parts.end());
      }
    }
    return !at.empty() && at.front() == top_;
  }

  // A symlink may be checked before a later entry changes what it resolves
  // to (par -> cur/.. before cur -> .), so every link is checked again
  // against the finished tree: in memory, then on disk.
  void check_symlinks() const {
    const fs::path tree = fs::canonical(work_) / top_;
    for (const auto& [name, node] : seen_) {
      if (node.kind != Kind::symlink) continue;
      if (!resolves_inside(split(name), node.link))
        refuse(name, "symlink to '" + node.link + "' resolves outside the tree or loops");
      std::error_code ec;
      const fs::path resolved = fs::weakly_canonical(work_ / name, ec);
      if (ec || !is_within(tree, resolved)) refuse(name, "symlink resolves outside the tree");
    }
  }

  // Directory times last (creating entries changes them), through
  // descriptors opened without following symlinks.
  void set_directory_times() const {
    for (const auto& [parts, time] : dir_times_) {
      try {
        Fd dir = open_dir(parts, parts.size(), false);
        const timespec times[2] = {{0, UTIME_OMIT}, time};
        ::futimens(dir.get(), times);
      } catch (const Error& e) {
        fail(e.what(), e.status());
      }
    }
  }

  fs::path archive_;
  fs::path work_;
  ExtractLimits limits_;
  std::string expected_;
  FileSource source_;
  std::unique_ptr<TarStream> stream_;
  std::string stream_error_;
  Fd root_;
  std::map<std::string, Node> seen_;
  std::string top_;
  std::vector<std::pair<std::vector<std::string>, timespec>> dir_times_;
  std::uint64_t entries_ = 0;
};

fs::path make_work_dir(const fs::path& dest) {
  std::string templ = (dest.parent_path() / ("." + dest.filename().string() + ".partial-XXXXXX")).string();
  if (!mkdtemp(templ.data())) throw Error("cannot create a work directory beside " + dest.string() + ": " + errno_text(errno));
  return templ;
}

}  // namespace

void extract_archive(const fs::path& archive, const fs::path& dest, const ExtractLimits& limits,
                     const TreeCheck& validate, const std::string& expected_sha256) {
  std::error_code ec;
  if (!dest.parent_path().empty()) fs::create_directories(dest.parent_path(), ec);
  const fs::path work = make_work_dir(dest);
  try {
    Extraction extraction(archive, work, limits, expected_sha256);
    extraction.run();
    const fs::path top = work / extraction.top();
    if (validate) validate(top);
    // `dest` is replaced, never merged into: whatever it held (a symlink
    // included) is removed, not followed.
    fs::remove_all(dest);
    fs::rename(top, dest);
    fs::remove(work);
  } catch (...) {
    fs::remove_all(work, ec);
    throw;
  }
}

}  // namespace allocpipe
