#include "archive_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <memory>
#include <stdexcept>

namespace allocpipe::test {
namespace {
struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
}  // namespace

ArchiveBuilder& ArchiveBuilder::file(const std::string& name, const std::string& content, int mode) {
  entries_.push_back({Entry::file, name, content, mode});
  return *this;
}
ArchiveBuilder& ArchiveBuilder::dir(const std::string& name, int mode) {
  entries_.push_back({Entry::dir, name, "", mode});
  return *this;
}
ArchiveBuilder& ArchiveBuilder::symlink(const std::string& name, const std::string& target) {
  entries_.push_back({Entry::symlink, name, target, 0777});
  return *this;
}
ArchiveBuilder& ArchiveBuilder::hardlink(const std::string& name, const std::string& target) {
  entries_.push_back({Entry::hardlink, name, target, 0644});
  return *this;
}
ArchiveBuilder& ArchiveBuilder::fifo(const std::string& name) {
  entries_.push_back({Entry::fifo, name, "", 0644});
  return *this;
}
ArchiveBuilder& ArchiveBuilder::char_device(const std::string& name) {
  entries_.push_back({Entry::chardev, name, "", 0644});
  return *this;
}
ArchiveBuilder& ArchiveBuilder::block_device(const std::string& name) {
  entries_.push_back({Entry::blockdev, name, "", 0644});
  return *this;
}

const char* ArchiveBuilder::name(Compression compression) {
  switch (compression) {
    case Compression::none: return "tar";
    case Compression::gzip: return "tar.gz";
    case Compression::bzip2: return "tar.bz2";
    case Compression::xz: return "tar.xz";
  }
  return "?";
}

void ArchiveBuilder::write(const std::filesystem::path& out, Compression compression) const {
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  switch (compression) {
    case Compression::none: break;
    case Compression::gzip: archive_write_add_filter_gzip(a.get()); break;
    case Compression::bzip2: archive_write_add_filter_bzip2(a.get()); break;
    case Compression::xz: archive_write_add_filter_xz(a.get()); break;
  }
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("archive builder: ") + archive_error_string(a.get()));
  write_entries(a.get());
}

void ArchiveBuilder::write_zip(const std::filesystem::path& out) const {
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  archive_write_set_format_zip(a.get());
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("archive builder: ") + archive_error_string(a.get()));
  write_entries(a.get());
}

void ArchiveBuilder::write_entries(archive* a) const {
  for (const auto& e : entries_) {
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_perm(entry.get(), static_cast<mode_t>(e.mode));
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    switch (e.kind) {
      case Entry::file:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
        break;
      case Entry::dir: archive_entry_set_filetype(entry.get(), AE_IFDIR); break;
      case Entry::symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), e.content.c_str());
        break;
      case Entry::hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_hardlink(entry.get(), e.content.c_str());
        break;
      case Entry::fifo: archive_entry_set_filetype(entry.get(), AE_IFIFO); break;
      case Entry::chardev:
        archive_entry_set_filetype(entry.get(), AE_IFCHR);
        archive_entry_set_rdev(entry.get(), makedev(1, 3));
        break;
      case Entry::blockdev:
        archive_entry_set_filetype(entry.get(), AE_IFBLK);
        archive_entry_set_rdev(entry.get(), makedev(7, 0));
        break;
    }
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK)
      throw std::runtime_error(std::string("archive builder: ") + archive_error_string(a));
    if (e.kind == Entry::file && !e.content.empty())
      archive_write_data(a, e.content.data(), e.content.size());
  }
  if (archive_write_close(a) != ARCHIVE_OK)
    throw std::runtime_error(std::string("archive builder: ") + archive_error_string(a));
}

}  // namespace allocpipe::test
