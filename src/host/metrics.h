// `status` as Prometheus text (exposition format 0.0.4) for node_exporter's
// textfile collector: written to a temp name in the same directory and
// renamed, so the collector never reads half a file.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "library.h"
#include "status.h"

namespace allocpipe::host {

inline constexpr const char* default_metrics_file = "/var/lib/prometheus/node-exporter/allocpipe.prom";

std::string prometheus_label_value(const std::string& value);  // escapes \ " and newline
std::string metrics_text(const std::vector<UnitStatus>& rows, const Installed& installed,
                         std::optional<std::uint64_t> max_map_count);

}  // namespace allocpipe::host
