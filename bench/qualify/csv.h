// Minimal CSV (RFC 4180 quoting) for the report and its checker.
#pragma once

#include <string>
#include <vector>

namespace apq {

std::string csv_field(const std::string& s);
std::string csv_row(const std::vector<std::string>& fields);
// Parses a whole document; rows of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
// Formats a number; "" for NaN.
std::string num(double v, int decimals);

}  // namespace apq
