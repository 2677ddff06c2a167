// What the report records about the machine a measurement ran on.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace apq {

// Ordered key/value pairs: kernel, THP enabled/defrag, CPU, cores, glibc, date.
std::vector<std::pair<std::string, std::string>> system_info();

}  // namespace apq
