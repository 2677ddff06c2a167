// The read-only commands: list, status, metrics, journals.
#pragma once
#include <string>
#include <vector>

#include "context.h"
#include "output.h"

namespace allocpipe::host {

int cmd_list(const HostPaths& paths, bool json, Reporter& out);
int cmd_status(const HostPaths& paths, const std::vector<std::string>& patterns, bool json, Reporter& out);
int cmd_metrics(const HostPaths& paths, const std::vector<std::string>& patterns, Reporter& out);
int cmd_journals(const HostPaths& paths, bool json, Reporter& out);

}  // namespace allocpipe::host
