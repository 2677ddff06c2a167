#include "reporter.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

#include "../common/protocol.h"

namespace allocpipe::smoke::probe {

namespace pr = allocpipe::smoke::protocol;

void emit(std::string_view tag, std::string_view a, std::string_view b, std::string_view c,
          std::string_view d) {
    std::vector<std::string> fields{std::string(a)};
    for (auto f : {b, c, d}) {
        if (!f.empty()) fields.emplace_back(f);
    }
    const std::string line = pr::record(tag, fields);
    std::size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, line.data() + off, line.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

void Reporter::start(std::string_view subcheck) { emit(pr::kStart, subcheck); }

void Reporter::ok(std::string_view subcheck) { emit(pr::kOk, subcheck); }

void Reporter::fail(std::string_view subcheck, std::string_view expected, std::string_view seen) {
    ++failures_;
    emit(pr::kFail, subcheck, expected.empty() ? "?" : expected, seen.empty() ? "?" : seen);
}

void Reporter::deviation(std::string_view subcheck, std::string_view allowance,
                         std::string_view expected, std::string_view seen) {
    emit(pr::kDeviation, subcheck, allowance, expected, seen);
}

void Reporter::note(std::string_view subcheck, std::string_view text) {
    emit(pr::kNote, subcheck, text);
}

bool Reporter::expect(bool cond, std::string_view subcheck, std::string_view expected,
                      std::string_view seen) {
    if (cond) {
        ok(subcheck);
    } else {
        fail(subcheck, expected, seen);
    }
    return cond;
}

std::string hex(const void* p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", p);
    return buf;
}

std::string describe_errno(int err) {
    if (err == 0) return "errno 0";
    const char* name = nullptr;
    switch (err) {
        case ENOMEM: name = "ENOMEM"; break;
        case EINVAL: name = "EINVAL"; break;
        case EOVERFLOW: name = "EOVERFLOW"; break;
        default: break;
    }
    std::string out = name ? name : "errno " + std::to_string(err);
    out += " (";
    out += std::strerror(err);
    out += ")";
    return out;
}

}  // namespace allocpipe::smoke::probe
