// Drawing helpers shared by the qualification chart and allocpipe-host's
// experiment charts, so the lab's and the fleet's charts look alike.
#pragma once

#include <string>

namespace apq {

std::string xml_escape(const std::string& s);
// A round tick step (1, 2, 2.5, 5 x 10^n) giving about target_ticks ticks.
double nice_step(double range, int target_ticks);
// The colour of the i-th arm.
const char* arm_color(size_t i);

}  // namespace apq
