#include "gate.h"

#include <cmath>

#include "csv.h"

namespace apq {

GateResult evaluate_gate(const GateSpec& spec, const ArmSummary& base, const ArmSummary& cand) {
  GateResult g;
  const double bs = base.slope_mb_per_h.median;
  const double cs = cand.slope_mb_per_h.median;
  const double br = base.steady_anon_mb.median;
  const double cr = cand.steady_anon_mb.median;

  if (std::isnan(bs) || std::isnan(cs)) {
    g.pass = false;
    g.lines.push_back("slope: FAIL, not measured (baseline " + num(bs, 3) + ", candidate " + num(cs, 3) + ")");
  } else {
    const double limit = bs + spec.max_slope_margin;
    const bool ok = cs <= limit;
    g.pass = g.pass && ok;
    g.lines.push_back(std::string("slope: ") + (ok ? "pass" : "FAIL") + ", " + cand.arm + " " + num(cs, 3) +
                      " MB/sim-h vs limit " + num(limit, 3) + " (" + base.arm + " " + num(bs, 3) + " + margin " +
                      num(spec.max_slope_margin, 3) + ")");
  }
  if (std::isnan(br) || std::isnan(cr) || br <= 0) {
    g.pass = false;
    g.lines.push_back("steady-state RSS: FAIL, not measured (baseline " + num(br, 1) + ", candidate " + num(cr, 1) +
                      ")");
  } else {
    const double limit = br * (1.0 + spec.max_rss_margin);
    const bool ok = cr <= limit;
    g.pass = g.pass && ok;
    g.lines.push_back(std::string("steady-state RSS: ") + (ok ? "pass" : "FAIL") + ", " + cand.arm + " " +
                      num(cr, 1) + " MB vs limit " + num(limit, 1) + " (" + base.arm + " " + num(br, 1) +
                      " MB + " + num(spec.max_rss_margin * 100.0, 1) + "%)");
  }
  return g;
}

}  // namespace apq
