// Line protocol between allocpipe-smoke (harness) and allocpipe-smoke-probe.
//
// The probe writes one record per line on stdout, fields separated by TAB:
//   start     <subcheck>            (written before the work of a subcheck)
//   ok        <subcheck>
//   FAIL      <subcheck> <expected> <seen>
//   DEVIATION <subcheck> <allowance> <expected> <seen>
//   note      <subcheck> <text>
//   armed     <hostile-op>          (written just before a hostile operation)
//   survived  <hostile-op>          (the hostile operation returned)
//   done      <mode>                (the mode ran to its end)
// Everything the allocator prints goes to stderr and is left alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allocpipe::smoke::protocol {

inline constexpr std::string_view kStart = "start";
inline constexpr std::string_view kOk = "ok";
inline constexpr std::string_view kFail = "FAIL";
inline constexpr std::string_view kDeviation = "DEVIATION";
inline constexpr std::string_view kNote = "note";
inline constexpr std::string_view kArmed = "armed";
inline constexpr std::string_view kSurvived = "survived";
inline constexpr std::string_view kDone = "done";

// Tabs and newlines inside a field would break the framing.
inline std::string sanitize(std::string_view field) {
    std::string out(field);
    for (char& c : out) {
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    }
    return out;
}

inline std::string record(std::string_view tag, const std::vector<std::string>& fields) {
    std::string line(tag);
    for (const auto& f : fields) {
        line += '\t';
        line += sanitize(f);
    }
    line += '\n';
    return line;
}

inline std::vector<std::string> split_fields(std::string_view line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    while (true) {
        const auto tab = line.find('\t', start);
        if (tab == std::string_view::npos) {
            fields.emplace_back(line.substr(start));
            return fields;
        }
        fields.emplace_back(line.substr(start, tab - start));
        start = tab + 1;
    }
}

}  // namespace allocpipe::smoke::protocol
