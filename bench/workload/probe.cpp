#include "probe.h"

#include <dlfcn.h>

#include <cstddef>
#include <string>

#include "family.h"

namespace apw {

std::string allocator_banner() {
  using LibcVersion = const char* (*)();
  // The families' own identity code (recipes/<family>/identity.cpp), the
  // same the smoke gate uses.
  if (const auto* family = allocpipe::family::serving()) {
    const std::string version = family->version();
    return std::string(family->name) + " " + (version.empty() ? "(version unknown)" : version);
  }
  if (auto libc = reinterpret_cast<LibcVersion>(dlsym(RTLD_DEFAULT, "gnu_get_libc_version"))) {
    return std::string("glibc ") + libc();
  }
  return "unknown";
}

bool try_malloc_trim() {
  using Trim = int (*)(size_t);
  if (auto trim = reinterpret_cast<Trim>(dlsym(RTLD_DEFAULT, "malloc_trim"))) {
    trim(0);
    return true;
  }
  return false;
}

}  // namespace apw
