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
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "error.h"
#include "fd.h"
#include "tree_writer.h"

namespace fs = std::filesystem;

namespace allocpipe {
namespace {

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Reader = std::unique_ptr<archive, ReadFree>;

// The kernel refuses longer symlink targets (PATH_MAX including the NUL);
// refusing them first also bounds the cost of resolving one.
constexpr std::size_t max_symlink_target = 4095;

enum class Kind { file, directory, symlink, hardlink };

struct Node {
  Kind kind;
  std::string link;  // symlink target as stored
};

// One archive entry as the parse step reads it from libarchive, its names
// already split and checked; nothing about the tree yet.
struct Entry {
  std::string name;                // as stored (print with printable())
  std::vector<std::string> parts;  // its components; empty for the "./" root entry
  std::string path;                // parts joined by '/'
  std::vector<std::size_t> ends;   // where each component ends in `path`
  Kind kind = Kind::file;
  std::vector<std::string> hardlink;  // a hard link's target components
  std::string symlink;                // a symlink's target as stored
  mode_t perm = 0;
  bool has_mtime = false;
  timespec mtime{};
  la_int64_t size = -1;  // declared data size, -1 when not set
};

std::string named(const std::string& name) { return "'" + printable(name) + "'"; }

// Splits a name into components, dropping "." and empty parts. Throws on
// anything that could name a place outside the tree, and on a name deeper
// than `max_depth` components (which bounds every per-path cost).
std::vector<std::string> checked_components(const std::string& name, const std::string& what, std::uint64_t max_depth) {
  if (name.empty()) throw Error(what + ": empty name");
  if (name.front() == '/') throw Error(what + " " + named(name) + ": absolute path refused");
  std::vector<std::string> parts;
  std::string part;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      if (part == "..") throw Error(what + " " + named(name) + ": '..' component refused");
      if (!part.empty() && part != ".") parts.push_back(part);
      if (parts.size() > max_depth)
        throw Error(what + " " + named(name.substr(0, 200)) + "...: nested deeper than the limit of " +
                    std::to_string(max_depth) + " directories");
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

// A fresh walk from `root` (for a hard link's source, which must not move
// the DirectoryChain the entry's parent came from).
Fd walk(int root, const std::vector<std::string>& parts, std::size_t count) {
  Fd at(::dup(root));
  if (!at) throw Error("dup failed: " + errno_text(errno));
  for (std::size_t i = 0; i < count; ++i) at = open_directory(at.get(), parts[i], false, join(parts, i + 1));
  return at;
}

// A path being walked component by component, with O(1) push and pop and
// the joined text at hand for lookups.
class WalkPath {
 public:
  explicit WalkPath(const std::vector<std::string>& start) {
    for (const auto& part : start) push(part);
  }
  void push(const std::string& part) {
    path_ += (ends_.empty() ? "" : "/") + part;
    ends_.push_back(path_.size());
    first_ = ends_.size() == 1 ? part : first_;
  }
  void pop() {
    ends_.pop_back();
    path_.resize(ends_.empty() ? 0 : ends_.back());
  }
  std::size_t depth() const { return ends_.size(); }
  const std::string& text() const { return path_; }
  const std::string& first() const { return first_; }

 private:
  std::string path_;
  std::vector<std::size_t> ends_;
  std::string first_;
};

class Extraction {
 public:
  Extraction(const fs::path& archive, const fs::path& work, const ExtractLimits& limits, std::string expected)
      : archive_(archive),
        work_(work),
        limits_(limits),
        expected_(std::move(expected)),
        source_(archive),
        stream_(nullptr),
        dirs_(Fd(::open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))) {
    if (dirs_.root() < 0) fail("cannot open the work directory " + work.string() + ": " + errno_text(errno));
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

    archive_entry* header = nullptr;
    for (;;) {
      const int rc = archive_read_next_header(reader.get(), &header);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) fail_reading(reader.get(), "corrupt or truncated archive");
      Entry entry = parse(header);
      if (entry.parts.empty()) continue;  // the "./" root entry
      const bool existing_directory = classify(entry);
      try {
        create(reader.get(), entry, existing_directory);
      } catch (const ExtractError&) {
        throw;  // already names the archive and the entry
      } catch (const Error& e) {
        refuse(entry.name, e.what());
      }
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
  ExtractStats stats() const { return ExtractStats{entries_, dirs_.opened()}; }

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
    fail("entry " + named(name) + ": " + why);
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
    const std::string why = what + ": " + printable(text ? text : "unknown libarchive error");
    if (!entry.empty()) refuse(entry, why);
    fail(why);
  }

  // ---- parse: what the entry says, its names checked ----
  Entry parse(archive_entry* header) {
    Entry entry;
    const char* raw = archive_entry_pathname(header);
    entry.name = raw ? raw : "";
    if (++entries_ > limits_.max_entries) fail("more than " + std::to_string(limits_.max_entries) + " entries");
    try {
      entry.parts = checked_components(entry.name, "entry", limits_.max_depth);
    } catch (const Error& e) {
      fail(e.what());
    }
    for (const auto& part : entry.parts) {
      entry.path += (entry.path.empty() ? "" : "/") + part;
      entry.ends.push_back(entry.path.size());
    }
    const mode_t type = archive_entry_filetype(header);
    const char* hardlink = archive_entry_hardlink(header);
    if (entry.parts.empty()) {
      if (type == AE_IFDIR && !hardlink) return entry;
      refuse(entry.name, "names the root of the archive but is not a directory");
    }
    if (hardlink) {
      entry.kind = Kind::hardlink;
      try {
        entry.hardlink = checked_components(hardlink, "hard link target", limits_.max_depth);
      } catch (const Error& e) {
        refuse(entry.name, e.what());
      }
    } else if (type == AE_IFDIR) {
      entry.kind = Kind::directory;
    } else if (type == AE_IFLNK) {
      entry.kind = Kind::symlink;
      const char* target = archive_entry_symlink(header);
      entry.symlink = target ? target : "";
      if (entry.symlink.size() > max_symlink_target)
        refuse(entry.name, "symlink target longer than " + std::to_string(max_symlink_target) + " bytes");
    } else if (type != AE_IFREG) {
      refuse(entry.name, "devices, FIFOs and sockets are refused");
    }
    entry.perm = archive_entry_perm(header);
    entry.has_mtime = archive_entry_mtime_is_set(header);
    if (entry.has_mtime) entry.mtime = timespec{archive_entry_mtime(header), archive_entry_mtime_nsec(header)};
    entry.size = archive_entry_size_is_set(header) ? archive_entry_size(header) : -1;
    return entry;
  }

  // ---- classify: the entry against the tree the archive built so far ----
  // Returns whether it re-declares an existing directory.
  bool classify(const Entry& entry) {
    const auto& parts = entry.parts;
    if (top_.empty()) top_ = parts[0];
    if (parts[0] != top_)
      refuse(entry.name,
             "a second top-level entry next to " + named(top_) + ": expected exactly one top-level directory");
    record_parents(entry);
    if (entry.kind == Kind::hardlink) {
      auto seen = seen_.find(join(entry.hardlink, entry.hardlink.size()));
      if (entry.hardlink.empty() || seen == seen_.end() || seen->second.kind != Kind::file || seen->first == entry.path)
        refuse(entry.name, "hard link to " + named(join(entry.hardlink, entry.hardlink.size())) +
                               ", which is not an earlier regular file of the archive");
    } else if (entry.kind == Kind::symlink && !resolves_inside(parts, entry.symlink)) {
      refuse(entry.name, "symlink to " + named(entry.symlink) + " leaves the tree");
    }
    if (parts.size() == 1 && entry.kind != Kind::directory)
      refuse(entry.name, "the top-level entry is not a directory: expected exactly one top-level directory");
    // A hard link is a regular file of the tree from now on.
    const Kind recorded = entry.kind == Kind::hardlink ? Kind::file : entry.kind;
    auto [it, inserted] = seen_.emplace(entry.path, Node{recorded, entry.symlink});
    const bool existing_directory = !inserted && recorded == Kind::directory && it->second.kind == Kind::directory;
    if (!inserted && !existing_directory) refuse(entry.name, "duplicate name or file/directory clash");
    return existing_directory;
  }

  // Every recorded path has all its ancestors recorded as directories, so
  // the walk up from the entry's parent stops at the first one known: the
  // cost per entry does not grow with its depth.
  void record_parents(const Entry& entry) {
    std::vector<std::string> implied;
    for (std::size_t count = entry.parts.size() - 1; count >= 1; --count) {
      std::string parent = entry.path.substr(0, entry.ends[count - 1]);
      auto seen = seen_.find(parent);
      if (seen != seen_.end()) {
        if (seen->second.kind != Kind::directory)
          refuse(entry.name, "its parent " + named(parent) + " is not a directory (writing through links is refused)");
        break;
      }
      implied.push_back(std::move(parent));
    }
    for (auto& parent : implied) seen_.emplace(std::move(parent), Node{Kind::directory, {}});  // created on the way
  }

  // ---- create: the entry on disk, through descriptors only ----
  void create(archive* reader, const Entry& entry, bool existing_directory) {
    const int parent = dirs_.open(entry.parts, entry.parts.size() - 1, true);
    const std::string& leaf = entry.parts.back();
    switch (entry.kind) {
      case Kind::hardlink: {
        const Fd from = walk(dirs_.root(), entry.hardlink, entry.hardlink.size() - 1);
        create_hardlink(from.get(), entry.hardlink.back(), parent, leaf);
        break;
      }
      case Kind::directory:
        create_directory(parent, leaf, entry.perm, existing_directory);
        if (entry.has_mtime) dir_times_.push_back({entry.parts, entry.mtime});
        break;
      case Kind::symlink:
        create_symlink(parent, leaf, entry.symlink);
        break;
      case Kind::file: {
        Fd file = create_file(parent, leaf, entry.perm);
        copy_data(reader, file.get(), entry.name, entry.size);
        if (entry.has_mtime) {
          const timespec times[2] = {{0, UTIME_OMIT}, entry.mtime};
          ::futimens(file.get(), times);
        }
        if (const int error = file.close()) refuse(entry.name, "closing the file failed: " + errno_text(error));
        break;
      }
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
  // Each step is one lookup of the path walked so far.
  bool resolves_inside(const std::vector<std::string>& link, const std::string& target) const {
    if (link.size() < 2 || target.empty() || target.front() == '/') return false;
    WalkPath at(std::vector<std::string>(link.begin(), link.end() - 1));
    std::deque<std::string> pending;
    for (auto& part : split(target)) pending.push_back(part);
    int hops = 0;
    while (!pending.empty()) {
      const std::string part = pending.front();
      pending.pop_front();
      if (part == ".") continue;
      if (part == "..") {
        if (at.depth() <= 1) return false;
        at.pop();
        continue;
      }
      at.push(part);
      if (at.depth() > limits_.max_depth) continue;  // deeper than any entry: no symlink there
      auto seen = seen_.find(at.text());
      if (seen != seen_.end() && seen->second.kind == Kind::symlink) {
        const std::string& next = seen->second.link;
        if (++hops > 40 || next.empty() || next.front() == '/') return false;
        at.pop();
        const auto parts = split(next);
        pending.insert(pending.begin(), parts.begin(), parts.end());
      }
    }
    return at.depth() > 0 && at.first() == top_;
  }

  // A symlink may be checked before a later entry changes what it resolves
  // to (par -> cur/.. before cur -> .), so every link is checked again
  // against the finished tree: in memory, then on disk.
  void check_symlinks() const {
    const fs::path tree = fs::canonical(work_) / top_;
    for (const auto& [name, node] : seen_) {
      if (node.kind != Kind::symlink) continue;
      if (!resolves_inside(split(name), node.link))
        refuse(name, "symlink to " + named(node.link) + " resolves outside the tree or loops");
      std::error_code ec;
      const fs::path resolved = fs::weakly_canonical(work_ / name, ec);
      if (ec || !is_within(tree, resolved)) refuse(name, "symlink resolves outside the tree");
    }
  }

  // Directory times last (creating entries changes them), through
  // descriptors opened without following symlinks, in archive order so the
  // chain of open directories is reused.
  void set_directory_times() {
    for (const auto& [parts, time] : dir_times_) {
      try {
        const int dir = dirs_.open(parts, parts.size(), false);
        const timespec times[2] = {{0, UTIME_OMIT}, time};
        ::futimens(dir, times);
      } catch (const Error& e) {
        fail(e.what());
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
  DirectoryChain dirs_;
  std::map<std::string, Node> seen_;
  std::string top_;
  std::vector<std::pair<std::vector<std::string>, timespec>> dir_times_;
  std::uint64_t entries_ = 0;
};

fs::path make_work_dir(const fs::path& dest) {
  std::string templ = (dest.parent_path() / ("." + dest.filename().string() + ".partial-XXXXXX")).string();
  if (!mkdtemp(templ.data()))
    throw Error("cannot create a work directory beside " + dest.string() + ": " + errno_text(errno));
  return templ;
}

}  // namespace

ExtractStats extract_archive(const fs::path& archive, const fs::path& dest, const ExtractLimits& limits,
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
    return extraction.stats();
  } catch (...) {
    fs::remove_all(work, ec);
    throw;
  }
}

}  // namespace allocpipe
