// Regression gate: a candidate library against a baseline.
#pragma once

#include "analysis.h"
#include "cli.h"
#include "session.h"

namespace apq {

// Fails when the candidate's median slope exceeds the baseline's median
// slope by more than spec.max_slope_margin (MB per simulated hour), or its
// median steady-state anonymous RSS exceeds the baseline's by more than
// spec.max_rss_margin (a fraction). A number that could not be measured
// fails too.
GateResult evaluate_gate(const GateSpec& spec, const ArmSummary& baseline, const ArmSummary& candidate);

}  // namespace apq
