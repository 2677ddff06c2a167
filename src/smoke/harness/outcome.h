// The result of one check on one library, and how it is printed.
#pragma once

#include <string>
#include <vector>

namespace allocpipe::smoke {

struct Finding {
    std::string expected;
    std::string seen;
    std::string where;  // subcheck or hostile operation, may be ""
};

struct ChildLog {
    std::string command;
    std::string status;
    std::string stderr_text;
};

struct CheckOutcome {
    std::string check;
    std::vector<Finding> failures;
    std::vector<std::string> details;  // printed on success and failure
    std::vector<ChildLog> children;    // stderr shown on failure
    int subchecks_passed = 0;
    // Why the check could not run at all (under emulation): never a pass.
    std::string not_run;

    bool passed() const { return failures.empty() && not_run.empty(); }
    bool ran() const { return not_run.empty(); }
    void fail(std::string expected, std::string seen, std::string where = {}) {
        failures.push_back({std::move(expected), std::move(seen), std::move(where)});
    }
};

// "smoke: <library>: <check>: expected <...>, saw <...>" lines, details and,
// on failure, each child's stderr.
std::string render(const std::string& library, const CheckOutcome& outcome);

}  // namespace allocpipe::smoke
