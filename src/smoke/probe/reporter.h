// Records subcheck results of the probe on stdout (see common/protocol.h).
#pragma once

#include <string>
#include <string_view>

namespace allocpipe::smoke::probe {

class Reporter {
public:
    // Names the subcheck about to run, so that a crash can be attributed.
    void start(std::string_view subcheck);
    void ok(std::string_view subcheck);
    void fail(std::string_view subcheck, std::string_view expected, std::string_view seen);
    void deviation(std::string_view subcheck, std::string_view allowance,
                   std::string_view expected, std::string_view seen);
    void note(std::string_view subcheck, std::string_view text);

    // ok() when cond holds, else fail(); returns cond.
    bool expect(bool cond, std::string_view subcheck, std::string_view expected,
                std::string_view seen);

    bool failed() const { return failures_ != 0; }
    int failures() const { return failures_; }

private:
    int failures_ = 0;
};

// Writes one protocol record straight to fd 1 (no stdio buffering, so
// nothing is lost or duplicated across fork() or an abort()).
void emit(std::string_view tag, std::string_view a, std::string_view b = {},
          std::string_view c = {}, std::string_view d = {});

std::string hex(const void* p);
std::string describe_errno(int err);

}  // namespace allocpipe::smoke::probe
