#include "raw_tar.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace allocpipe::test {
namespace {

void put(std::string& block, std::size_t offset, std::size_t length, const std::string& value) {
  std::memcpy(&block[offset], value.data(), std::min(length, value.size()));
}

std::string octal(std::uint64_t value, std::size_t width) {  // width-1 digits and a NUL
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
  return std::string(buffer) + '\0';
}

std::string padded(const std::string& bytes) { return bytes + std::string((512 - bytes.size() % 512) % 512, '\0'); }

}  // namespace

RawTar& RawTar::header(const Header& h) {
  std::string block(512, '\0');
  put(block, 0, 100, h.name);
  put(block, 100, 8, octal(static_cast<std::uint64_t>(h.mode), 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  put(block, 124, 12, h.size_field ? *h.size_field : octal(h.size, 12));
  put(block, 136, 12, octal(1700000000, 12));
  block[156] = h.type;
  put(block, 157, 100, h.link);
  put(block, 257, 8, h.magic);
  put(block, 265, 32, "root");
  put(block, 297, 32, "root");
  std::memset(&block[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  if (h.bad_checksum) sum += 1;
  char checksum[8];
  std::snprintf(checksum, sizeof checksum, "%06o", sum);
  std::memcpy(&block[148], checksum, 7);  // six digits, NUL, then the space already there
  out_ += block;
  return *this;
}

RawTar& RawTar::data(const std::string& bytes) {
  out_ += padded(bytes);
  return *this;
}

RawTar& RawTar::file(const std::string& name, const std::string& content, int mode) {
  Header h;
  h.name = name;
  h.size = content.size();
  h.mode = mode;
  return header(h).data(content);
}

RawTar& RawTar::dir(const std::string& name, int mode) {
  Header h;
  h.name = name;
  h.type = '5';
  h.mode = mode;
  return header(h);
}

RawTar& RawTar::symlink(const std::string& name, const std::string& target) {
  Header h;
  h.name = name;
  h.type = '2';
  h.link = target;
  h.mode = 0777;
  return header(h);
}

RawTar& RawTar::hardlink(const std::string& name, const std::string& target) {
  Header h;
  h.name = name;
  h.type = '1';
  h.link = target;
  return header(h);
}

std::string RawTar::pax_record(const std::string& key, const std::string& value) {
  const std::string body = " " + key + "=" + value + "\n";
  std::size_t length = body.size() + 1;
  while (std::to_string(length).size() + body.size() != length) length = std::to_string(length).size() + body.size();
  return std::to_string(length) + body;
}

RawTar& RawTar::pax(const std::vector<std::pair<std::string, std::string>>& records, char type) {
  std::string body;
  for (const auto& [key, value] : records) body += pax_record(key, value);
  Header h;
  h.name = "PaxHeader/entry";
  h.type = type;
  h.size = body.size();
  return header(h).data(body);
}

RawTar& RawTar::gnu_long(char type, const std::string& name) {
  Header h;
  h.name = "././@LongLink";
  h.type = type;
  h.size = name.size() + 1;
  h.magic = std::string("ustar  \0", 8);
  return header(h).data(name + std::string(1, '\0'));
}

RawTar& RawTar::raw(const std::string& bytes) {
  out_ += bytes;
  return *this;
}

RawTar& RawTar::end() {
  out_ += std::string(1024, '\0');
  return *this;
}

std::string compress(const std::string& bytes, ArchiveBuilder::Compression compression) {
  if (compression == ArchiveBuilder::Compression::none) return bytes;
  struct Free {
    void operator()(archive* a) const { archive_write_free(a); }
  };
  std::unique_ptr<archive, Free> a(archive_write_new());
  archive_write_set_format_raw(a.get());
  switch (compression) {
    case ArchiveBuilder::Compression::none: break;
    case ArchiveBuilder::Compression::gzip: archive_write_add_filter_gzip(a.get()); break;
    case ArchiveBuilder::Compression::bzip2: archive_write_add_filter_bzip2(a.get()); break;
    case ArchiveBuilder::Compression::xz: archive_write_add_filter_xz(a.get()); break;
  }
  archive_write_set_bytes_in_last_block(a.get(), 1);
  std::string out;
  auto on_write = [](archive*, void* client, const void* buffer, size_t length) -> la_ssize_t {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  };
  if (archive_write_open(a.get(), &out, nullptr, on_write, nullptr) != ARCHIVE_OK)
    throw std::runtime_error(std::string("compress: ") + archive_error_string(a.get()));
  struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
  };
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), "data");
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
      archive_write_data(a.get(), bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size()) ||
      archive_write_close(a.get()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("compress: ") + archive_error_string(a.get()));
  return out;
}

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace allocpipe::test
