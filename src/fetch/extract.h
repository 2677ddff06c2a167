// Safe extraction of a source archive (tar; uncompressed, gzip, bzip2 or xz)
// into a fresh directory. Policy (README.md, "Security model"):
//  - refused: absolute names, any ".." component, devices, FIFOs, sockets,
//    duplicate names, a file/directory clash, a path that passes through a
//    symlink, a hard link to anything but an earlier regular file of the
//    archive, a symlink whose target is absolute or resolves (following the
//    archive's other symlinks) outside the top-level directory, symlink
//    loops, sparse files, zip and every other format;
//  - refused by the stream checks (archive_stream.h): corrupt or truncated
//    compression, trailing garbage, bad tar headers, NUL in pax values or GNU
//    long names, oversized extension headers, a missing end marker;
//  - kept: relative symlinks that stay inside the tree;
//  - stripped: setuid/setgid/sticky bits and group/other write permission;
//    owners, ACLs, extended attributes and file flags are never restored;
//  - limited: uncompressed size, entry count, expansion ratio, header size.
// The archive must hold exactly one top-level directory; its contents become
// `dest`. Work happens in a fresh hidden sibling directory (mkdtemp), every
// file system call is relative to a directory descriptor opened without
// following symlinks, and the tree is renamed into place only after
// everything (and `validate`) succeeded, so `dest` is complete or untouched.
#pragma once
#include <filesystem>
#include <functional>
#include <string>

#include "archive_stream.h"
#include "error.h"

namespace allocpipe {

using TreeCheck = std::function<void(const std::filesystem::path& tree)>;

// What extraction throws, naming the archive and, for a refused entry, the
// entry. Status wrong_bytes when the bytes extracted do not hash to
// `expected_sha256`, else failed. (`validate`'s own errors pass through.)
struct ExtractError : Error {
  using Error::Error;
};

// Counted work, for tests that bound it (no wall-clock assertions).
struct ExtractStats {
  std::uint64_t entries = 0;
  std::uint64_t directories_opened = 0;  // by the writer's chain of open directories
};

// With `expected_sha256`, the archive's bytes are hashed while they are
// extracted and a mismatch fails the extraction: what is extracted is
// exactly what was verified, even if the file changes after verification.
ExtractStats extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                             const ExtractLimits& limits, const TreeCheck& validate = {},
                             const std::string& expected_sha256 = {});

}  // namespace allocpipe
