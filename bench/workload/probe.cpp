#include "probe.h"

#include <dlfcn.h>

#include <cstddef>
#include <string>

namespace apw {

std::string allocator_banner() {
  using MiVersion = int (*)();
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  using LibcVersion = const char* (*)();

  if (auto mi = reinterpret_cast<MiVersion>(dlsym(RTLD_DEFAULT, "mi_version"))) {
    const int v = mi();
    // 209 = 2.0.9; from 3.6.0's header on, 30600 = 3.6.0 (major, 2+2 digits).
    const bool wide = v >= 10000;
    return "mimalloc " + std::to_string(wide ? v / 10000 : v / 100) + "." +
           std::to_string(wide ? (v / 100) % 100 : (v / 10) % 10) + "." + std::to_string(wide ? v % 100 : v % 10) +
           " (mi_version=" + std::to_string(v) + ")";
  }
  for (const char* sym : {"mallctl", "je_mallctl"}) {
    if (auto ctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, sym))) {
      const char* version = nullptr;
      size_t len = sizeof(version);
      if (ctl("version", &version, &len, nullptr, 0) == 0 && version != nullptr) {
        return std::string("jemalloc ") + version;
      }
      return "jemalloc (version unknown)";
    }
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
