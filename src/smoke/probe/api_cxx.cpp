// C++ operators: new/delete, new[]/delete[], sized and aligned forms, nothrow.
#include <cstdint>
#include <malloc.h>
#include <new>
#include <string>

#include "api_detail.h"
#include "memory.h"

namespace allocpipe::smoke::probe {
namespace {

int g_live = 0;  // objects constructed and not yet destroyed

struct Tracked {
    std::uint64_t payload[5];
    Tracked() {
        ++g_live;
        for (auto& v : payload) v = reinterpret_cast<std::uintptr_t>(this);
    }
    ~Tracked() { --g_live; }
    bool intact() const {
        for (auto v : payload) {
            if (v != reinterpret_cast<std::uintptr_t>(this)) return false;
        }
        return true;
    }
};

struct alignas(64) Line { unsigned char bytes[64]; };
struct alignas(4096) PageObj { unsigned char bytes[4096]; };

void check_scalar_and_array(Reporter& r) {
    r.start("new.construct");
    Tracked* one = opaque(new Tracked);
    Tracked* many = opaque(new Tracked[1000]);
    bool intact = one->intact();
    for (int i = 0; i < 1000; ++i) intact = intact && many[i].intact();
    r.expect(intact && g_live == 1001, "new.construct",
             "new / new[1000] construct objects that keep their contents",
             "live " + std::to_string(g_live) + (intact ? "" : ", contents changed"));
    delete one;
    delete[] many;
    r.expect(g_live == 0, "delete.destruct", "delete / delete[] run every destructor",
             std::to_string(g_live) + " objects left alive");
}

void check_aligned_new(Reporter& r) {
    r.start("new.aligned");
    Line* lines = opaque(new Line[33]);
    PageObj* page = opaque(new PageObj);
    std::string seen;
    if (!is_aligned(lines, 64)) seen = "new Line[33] = " + hex(lines);
    if (!is_aligned(page, 4096)) seen = "new PageObj = " + hex(page);
    fill(lines, sizeof(Line) * 33, 64);
    fill(page, sizeof(PageObj), 4096);
    if (verify(lines, sizeof(Line) * 33, 64) != kNoMismatch ||
        verify(page, sizeof(PageObj), 4096) != kNoMismatch) {
        seen = "contents of aligned objects changed";
    }
    delete[] lines;
    delete page;
    for (std::size_t a = 8192; a <= 1 * MiB && seen.empty(); a *= 2) {
        void* p = opaque(::operator new(a + 100, std::align_val_t{a}));
        if (!is_aligned(p, a)) seen = "operator new(" + std::to_string(a + 100) + ", align " +
                                      std::to_string(a) + ") = " + hex(p);
        fill(p, a + 100, a);
        if (seen.empty() && verify(p, a + 100, a) != kNoMismatch) seen = "contents changed";
        ::operator delete(p, a + 100, std::align_val_t{a});
    }
    r.expect(seen.empty(), "new.aligned", "aligned new (64 B..1 MiB) aligned and writable", seen);
}

void check_sized_and_nothrow(Reporter& r) {
    r.start("delete.sized");
    std::string seen;
    for (std::size_t n : {std::size_t{1}, std::size_t{24}, std::size_t{4000}, 300 * KiB}) {
        void* p = opaque(::operator new(n));
        fill(p, n, n);
        if (verify(p, n, n) != kNoMismatch || malloc_usable_size(p) < n) {
            seen = "operator new(" + std::to_string(n) + ") block not usable";
        }
        ::operator delete(p, n);  // sized delete with the right size
    }
    r.expect(seen.empty(), "delete.sized", "operator new + sized operator delete", seen);

    r.start("new.nothrow");
    char* small = opaque(new (std::nothrow) char[100]);
    r.expect(small != nullptr, "new.nothrow", "new (nothrow) char[100] succeeds", "nullptr");
    delete[] small;
    char* huge = opaque(new (std::nothrow) char[impossible_size()]);
    r.expect(huge == nullptr, "new.nothrow-impossible",
             "new (nothrow) char[PTRDIFF_MAX - 4096] = nullptr", hex(huge));
    delete[] huge;

    delete opaque(static_cast<Tracked*>(nullptr));
    delete[] opaque(static_cast<Tracked*>(nullptr));
    r.ok("delete.null");
}

}  // namespace

void check_cxx(Reporter& r) {
    check_scalar_and_array(r);
    check_aligned_new(r);
    check_sized_and_nothrow(r);
}

}  // namespace allocpipe::smoke::probe
