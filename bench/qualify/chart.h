// The RSS-over-time chart: SVG drawn here, PNG converted by rsvg-convert.
#pragma once

#include <string>

#include "session.h"

namespace apq {

// RSS (MB) against simulated hours, one colour per arm: the repeat with the
// median steady state drawn solid, the other repeats thin; quiet windows
// shaded.
std::string chart_svg(const Session& s);

// Converts svg_path to png_path (written under a temporary name, then
// renamed). Throws std::runtime_error naming the Debian package when
// rsvg-convert is missing.
void svg_to_png(const std::string& svg_path, const std::string& png_path, const std::string& log_path);

// Absolute path of an executable found in $PATH, or "".
std::string find_in_path(const std::string& name);

}  // namespace apq
