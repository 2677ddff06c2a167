// Deliberately wrong operations. They run in a sacrificial process started
// by the harness; a hardened allocator detects them (report on stderr, often
// abort()), a normal build typically does not notice.
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "../common/protocol.h"
#include "memory.h"
#include "modes.h"
#include "symbols.h"

namespace allocpipe::smoke::probe {
namespace {

namespace pr = allocpipe::smoke::protocol;

using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

void arm(const std::string& op) { emit(pr::kArmed, op); }

// free() the same small block twice. Neighbours of the same size stay alive
// so the block's page is not emptied (and retired) between the two calls.
bool double_free_small(const std::string& op, Reporter&) {
    void* neighbours[16];
    for (auto& n : neighbours) n = opaque(std::malloc(48));
    void* p = opaque(std::malloc(48));
    std::memset(p, 0x5a, 48);
    arm(op);
    std::free(p);
    std::free(opaque(p));
    for (auto* n : neighbours) std::free(n);
    return true;
}

// free() the same 4 MiB block twice (beyond any thread cache).
bool double_free_large(const std::string& op, Reporter&) {
    const std::size_t n = 4u << 20;
    void* p = opaque(std::malloc(n));
    std::memset(p, 0x5a, n);
    arm(op);
    std::free(p);
    std::free(opaque(p));
    return true;
}

// Sized deallocation with a size from another size class (jemalloc sdallocx).
bool size_mismatch(const std::string& op, Reporter& r) {
    auto* sdallocx = find_function<void (*)(void*, std::size_t, int)>("sdallocx");
    if (sdallocx == nullptr) {
        r.fail("setup." + op, "sdallocx() in the process", "no sdallocx symbol");
        return false;
    }
    void* p = opaque(std::malloc(64));
    std::memset(p, 0x5a, 64);
    arm(op);
    sdallocx(p, 4096, 0);
    return true;
}

// Write into a freed page-aligned block, then make the thread cache hand
// its stashed blocks back (jemalloc checks them for write-after-free).
// Needs MALLOC_CONF=lg_san_uaf_align:12, set by the harness.
bool write_after_free(const std::string& op, Reporter& r) {
    auto* mallctl = find_function<mallctl_fn>("mallctl");
    if (mallctl == nullptr) {
        r.fail("setup." + op, "mallctl() in the process", "no mallctl symbol");
        return false;
    }
    auto* p = static_cast<unsigned char*>(opaque(std::malloc(4096)));
    std::memset(p, 0, 4096);
    arm(op);
    std::free(p);
    opaque(p)[0] = 0x41;
    mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
    return true;
}

using Operation = std::function<bool(const std::string&, Reporter&)>;

const std::map<std::string, Operation>& operations() {
    static const std::map<std::string, Operation> ops{
        {"double-free-small", double_free_small},
        {"double-free-large", double_free_large},
        {"size-mismatch", size_mismatch},
        {"write-after-free", write_after_free},
    };
    return ops;
}

}  // namespace

const std::set<std::string>& hostile_operations() {
    static const std::set<std::string> names = [] {
        std::set<std::string> out;
        for (const auto& kv : operations()) out.insert(kv.first);
        return out;
    }();
    return names;
}

bool run_hostile(const std::string& op, Reporter& r) {
    // The expected end of a detected operation is abort(): no core dumps
    // (neither files nor a core_pattern pipe) from this sacrificial process.
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (!operations().at(op)(op, r)) return false;
    emit(pr::kSurvived, op);
    return true;
}

void run_noop(Reporter& r) {
    r.start("noop.malloc");
    void* p = opaque(std::malloc(100));
    fill(p, 100, 1);
    r.expect(verify(p, 100, 1) == kNoMismatch, "noop.malloc", "a usable 100-byte block",
             "contents changed");
    std::free(p);
}

}  // namespace allocpipe::smoke::probe
