// Runs allocpipe-smoke-probe under LD_PRELOAD and turns its records into a
// CheckOutcome.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "options.h"
#include "outcome.h"
#include "process.h"

namespace allocpipe::smoke {

struct ProbeRecord {
    std::string tag;
    std::vector<std::string> fields;
};

struct ProbeRun {
    Command command;
    ProcessResult process;
    std::vector<ProbeRecord> records;
    bool done = false;
    std::string last_started;  // subcheck running when the probe stopped

    bool has(const std::string& tag, const std::string& first_field) const;
    ChildLog log(int timeout_seconds) const;
};

ProbeRun run_probe(const Options& o, const std::string& library,
                   const std::vector<std::string>& args,
                   const std::vector<std::pair<std::string, std::string>>& env = {});

// identity, api and threads: every subcheck ran, none failed.
CheckOutcome probe_check(const Options& o, Check check);

}  // namespace allocpipe::smoke
