// Mode "mappings": a heap of many small and medium blocks, half of them freed
// again, then the number of memory mappings (/proc/self/maps lines) and the
// resident set. Guard pages between allocator pages (mimalloc MI_SECURE) show
// up as extra mappings; vm.max_map_count caps them per process.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "modes.h"

namespace allocpipe::smoke::probe {

void run_mappings(Reporter& r) {
    r.start("mappings");
    constexpr std::size_t kTotal = 64u << 20;  // 64 MiB requested
    std::vector<void*> blocks;
    std::size_t total = 0;
    unsigned x = 12345;
    while (total < kTotal) {
        x = x * 1103515245u + 12345u;
        const std::size_t n = std::size_t{16} << ((x >> 16) % 13);  // 16 B .. 64 KiB
        void* p = std::malloc(n);
        if (p == nullptr) {
            r.fail("mappings", "malloc to succeed", "NULL after " + std::to_string(total) + " bytes");
            return;
        }
        std::memset(p, 0x5a, n);
        blocks.push_back(p);
        total += n;
    }
    for (std::size_t i = 0; i < blocks.size(); i += 2) std::free(blocks[i]);  // fragment
    std::ifstream maps("/proc/self/maps");
    std::string line;
    long count = 0;
    while (std::getline(maps, line)) ++count;
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    const long rss_kb = resident * 4;  // statm counts 4 KiB pages on x86-64 and arm64 (4K)
    r.note("mappings", std::to_string(count) + " " + std::to_string(rss_kb));
    for (std::size_t i = 1; i < blocks.size(); i += 2) std::free(blocks[i]);
    r.ok("mappings");
}

}  // namespace allocpipe::smoke::probe
