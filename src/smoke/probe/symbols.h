// Run-time symbol lookup: the probe never links against an allocator, it
// finds whatever the dynamic linker put first in the global scope.
#pragma once

#include <dlfcn.h>

#include <string>

#include "family.h"

namespace allocpipe::smoke::probe {

// dlsym(RTLD_DEFAULT, name), or nullptr (shared with the family identities).
using allocpipe::family::find_function;
using allocpipe::family::find_symbol;

// File that contains `addr` according to dladdr(), or "" if none.
std::string file_containing(const void* addr);

// True when both paths name the same file (same device and inode).
bool same_file(const std::string& a, const std::string& b);

}  // namespace allocpipe::smoke::probe
