// make_seeds DIR: writes the seed corpus, generated here (never third-party
// files): small benign and hostile archives in every supported compression,
// plus argument vectors for the recipe-argument parser.
//   DIR/fuzz_extract/      archive files
//   DIR/fuzz_tar_stream/   a selector byte, then an archive (see fuzz_tar_stream.cpp)
//   DIR/fuzz_recipe_args/  NUL-separated arguments
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "archive_builder.h"
#include "raw_tar.h"

namespace fs = std::filesystem;
using allocpipe::test::ArchiveBuilder;
using allocpipe::test::RawTar;
using allocpipe::test::compress;
using allocpipe::test::read_file;
using allocpipe::test::write_file;
using Compression = ArchiveBuilder::Compression;

namespace {

std::string tar_of(const ArchiveBuilder& builder, const fs::path& scratch) {
  builder.write(scratch, Compression::none);
  return read_file(scratch);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  for (const char* sub : {"fuzz_extract", "fuzz_tar_stream", "fuzz_recipe_args"}) fs::create_directories(dir / sub);
  const fs::path scratch = dir / ".scratch.tar";

  std::vector<std::pair<std::string, std::string>> tars;  // name, uncompressed tar
  tars.emplace_back("benign", tar_of(ArchiveBuilder()
                                         .dir("pkg-1.0/")
                                         .file("pkg-1.0/LICENSE", "MIT\n")
                                         .dir("pkg-1.0/src/")
                                         .file("pkg-1.0/src/a.c", "int a;\n", 0755)
                                         .symlink("pkg-1.0/a.c", "src/a.c")
                                         .hardlink("pkg-1.0/LICENSE.copy", "pkg-1.0/LICENSE"),
                                     scratch));
  tars.emplace_back("long-names", RawTar()
                                      .dir("pkg/")
                                      .gnu_long('L', "pkg/" + std::string(150, 'g'))
                                      .file("short", "gnu\n")
                                      .pax({{"path", "pkg/" + std::string(120, 'p')}, {"mtime", "1600000000.5"}})
                                      .file("short2", "pax\n")
                                      .pax({{"comment", "global"}}, 'g')
                                      .file("pkg/after-global", "x")
                                      .end()
                                      .bytes());
  tars.emplace_back("dotdot", tar_of(ArchiveBuilder().dir("pkg/").file("pkg/../x", "x"), scratch));
  tars.emplace_back("absolute", RawTar().dir("pkg/").file("/tmp/x", "x").end().bytes());
  tars.emplace_back("symlink-out", tar_of(ArchiveBuilder().dir("pkg/").symlink("pkg/d", "../..").file("pkg/d/x", "x"), scratch));
  tars.emplace_back("symlink-chain",
                    tar_of(ArchiveBuilder().dir("pkg/").symlink("pkg/par", "cur/..").symlink("pkg/cur", "."), scratch));
  tars.emplace_back("devices", tar_of(ArchiveBuilder().dir("pkg/").char_device("pkg/c").fifo("pkg/f"), scratch));
  tars.emplace_back("duplicates", tar_of(ArchiveBuilder().dir("pkg/").file("pkg/a", "1").dir("pkg/a/"), scratch));
  tars.emplace_back("nul-pax-path", RawTar().dir("pkg/").pax({{"path", std::string("pkg/a\0../x", 10)}}).file("pkg/b", "b").end().bytes());
  tars.emplace_back("link-size", RawTar().dir("pkg/").file("pkg/f", "f").hardlink("pkg/h", "pkg/f").end().bytes());
  tars.emplace_back("no-end-marker", RawTar().dir("pkg/").file("pkg/a", "a").bytes());
  tars.emplace_back("trailing", RawTar().dir("pkg/").file("pkg/a", "a").end().raw("garbage").bytes());
  tars.emplace_back("modes", tar_of(ArchiveBuilder().dir("pkg/", 07777).file("pkg/s", "s", 06777), scratch));

  const std::pair<Compression, const char*> codecs[] = {
      {Compression::none, "tar"}, {Compression::gzip, "tgz"}, {Compression::bzip2, "tbz2"}, {Compression::xz, "txz"}};
  for (const auto& [name, tar] : tars) {
    for (const auto& [codec, ext] : codecs) {
      const std::string bytes = compress(tar, codec);
      write_file(dir / "fuzz_extract" / (name + "." + ext), bytes);
      write_file(dir / "fuzz_tar_stream" / (name + "." + ext), std::string(1, '\x01') + bytes);
    }
    write_file(dir / "fuzz_tar_stream" / (name + ".pieces"), std::string(1, '\x22') + tar);
  }
  ArchiveBuilder().dir("pkg/").file("pkg/a", "a").write_zip(scratch);
  write_file(dir / "fuzz_extract" / "refused.zip", read_file(scratch));
  fs::remove(scratch);

  const std::string hex(64, 'a');
  const std::vector<std::vector<std::string>> arg_sets = {
      {"--cache", "/c", "--file", "mimalloc-2.0.9.tar.gz", "--sha256", hex, "--url", "https://example.invalid/x.tar.gz",
       "--dest", "/d", "--pin", "LICENSE=" + hex, "--record", "/r.json"},
      {"--cache", "/c", "--file", "x.tar.bz2", "--sha256", hex, "--url", "http://127.0.0.1:1/x", "--mirror", "/m",
       "--offline", "--debian", "jemalloc=5.3.0-1", "--debian-file", "jemalloc_5.3.0.orig.tar.bz2", "--debian-sha256",
       hex, "--debian-mode", "on"},
      {"--cache", "/c", "--file", "x", "--sha256", hex, "--url", "u", "--attempts", "3", "--max-entries", "10",
       "--max-ratio", "200", "--max-extract-bytes", "1000000", "--max-header-bytes", "4096", "--low-speed-time", "5",
       "--retry-delay-ms", "0", "--max-redirects", "0"},
      {"--help"},
  };
  int n = 0;
  for (const auto& args : arg_sets) {
    std::string joined;
    for (std::size_t i = 0; i < args.size(); ++i) joined += (i ? std::string(1, '\0') : "") + args[i];
    write_file(dir / "fuzz_recipe_args" / ("args" + std::to_string(n++)), joined);
  }
  write_file(dir / "fuzz_recipe_args" / "pin", "doc/LICENSE=" + hex);
  return 0;
}
