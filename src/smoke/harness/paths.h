// Small filesystem helpers.
#pragma once

#include <string>

namespace allocpipe::smoke {

std::string errno_text();                      // strerror(errno)
std::string absolute_path(const std::string& p);  // relative to the working directory
std::string sibling_of_self(const std::string& name);  // dir of /proc/self/exe + name
// The path of `name` looked up like execvp() would, or "" if not found.
std::string find_in_path(const std::string& name);
std::string read_file(const std::string& path, bool& ok);

// Write `contents` to `path` via a temporary name and rename(); throws
// std::runtime_error on failure.
void write_file_atomically(const std::string& path, const std::string& contents);

// A private directory removed (recursively, one level) on destruction.
class TempDir {
public:
    TempDir();  // throws std::runtime_error
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace allocpipe::smoke
