// Run-time symbol lookup: the probe never links against an allocator, it
// finds whatever the dynamic linker put first in the global scope.
#pragma once

#include <dlfcn.h>

#include <string>

namespace allocpipe::smoke::probe {

// dlsym(RTLD_DEFAULT, name), or nullptr.
void* find_symbol(const char* name);

template <class Fn>
Fn find_function(const char* name) {
    return reinterpret_cast<Fn>(find_symbol(name));
}

// File that contains `addr` according to dladdr(), or "" if none.
std::string file_containing(const void* addr);

// True when both paths name the same file (same device and inode).
bool same_file(const std::string& a, const std::string& b);

}  // namespace allocpipe::smoke::probe
