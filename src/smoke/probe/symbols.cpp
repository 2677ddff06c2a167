#include "symbols.h"

#include <sys/stat.h>

namespace allocpipe::smoke::probe {

std::string file_containing(const void* addr) {
    Dl_info info{};
    if (addr == nullptr || dladdr(addr, &info) == 0 || info.dli_fname == nullptr) return {};
    return info.dli_fname;
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa {}, sb {};
    if (a.empty() || b.empty()) return false;
    if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace allocpipe::smoke::probe
