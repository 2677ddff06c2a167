// enable / disable / rollback: change units wave by wave, verify each one,
// put back the ones that fail, and journal every step first.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "context.h"
#include "output.h"

namespace allocpipe::host {

int cmd_enable(const HostPaths& paths, const RolloutOptions& options, const std::string& library_id,
               const std::vector<std::string>& patterns, Reporter& out);
int cmd_disable(const HostPaths& paths, const RolloutOptions& options, const std::vector<std::string>& patterns,
                Reporter& out);
int cmd_rollback(const HostPaths& paths, const RolloutOptions& options, const std::optional<std::string>& journal_id,
                 Reporter& out);

}  // namespace allocpipe::host
