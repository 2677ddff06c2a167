#include "commands.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "analysis.h"
#include "chart.h"
#include "csv.h"
#include "dropin.h"
#include "error.h"
#include "fs.h"
#include "gate.h"
#include "library.h"
#include "patterns.h"
#include "report.h"
#include "rollout.h"
#include "rollout_journal.h"
#include "status.h"
#include "units.h"

namespace allocpipe::host::experiment {

namespace fs = std::filesystem;

const char* const experiment_usage =
    "  experiment start NAME --arm LABEL=LIBRARY_ID|glibc --arm ... PATTERN... [--interval 5min] [--seed N]\n"
    "             [--canary N] [--wave N] [--health-seconds S] [--max-failures K] [--start-timeout S]\n"
    "  experiment status NAME\n"
    "  experiment report NAME [--merge OTHER_SAMPLES.csv ...] [--out DIR]\n"
    "             [--gate --baseline LABEL --candidate LABEL [--max-slope-margin MB_PER_H] [--max-rss-margin F]]\n"
    "  experiment stop NAME [--adopt LABEL]\n"
    "  experiment sample NAME                 one sampling round (what the experiment's timer runs)\n";

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string boot_id() {
  auto text = read_if_exists("/proc/sys/kernel/random/boot_id");
  if (!text) return "";
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/usr/bin/allocpipe-host") : p.string();
}

// One ExecStart= argument, quoted for systemd (specifiers escaped).
std::string unit_arg(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '%') out += "%%";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out + "\"";
}

std::string timer_name(const std::string& name) { return "allocpipe-experiment-" + name + ".timer"; }
std::string service_name(const std::string& name) { return "allocpipe-experiment-" + name + ".service"; }

std::string service_text(const Experiment& e, const HostPaths& paths) {
  return "# Written by allocpipe-host experiment start " + e.name + ". Removed by: allocpipe-host experiment stop " + e.name +
         "\n[Unit]\nDescription=allocpipe experiment " + e.name + ": sample the units' memory\n\n[Service]\nType=oneshot\n" +
         "ExecStart=" + unit_arg(self_exe()) + " experiment sample " + e.name + " --quiet --state-dir " +
         unit_arg(paths.state_dir.string()) + " --lib-dir " + unit_arg(paths.lib_dir.string()) + " --unit-dir " +
         unit_arg(paths.unit_dir.string()) + "\n";
}

std::string timer_text(const Experiment& e) {
  const std::string every = std::to_string(e.interval_seconds) + "s";
  return "# Written by allocpipe-host experiment start " + e.name + ". Removed by: allocpipe-host experiment stop " + e.name +
         "\n[Unit]\nDescription=allocpipe experiment " + e.name + ": sample every " + every + "\n\n[Timer]\nOnActiveSec=" +
         every + "\nOnUnitActiveSec=" + every + "\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n";
}

std::set<std::string> journal_ids(const HostPaths& paths) {
  std::set<std::string> ids;
  for (const RolloutJournal& j : JournalStore(paths.state_dir).all()) ids.insert(j.id);
  return ids;
}

// Runs enable (library arm) or disable (glibc arm) over the arm's units and
// records, per unit, whether it is in the experiment or left out and why.
int roll_out_arm(Experiment& e, const Arm& arm, const HostPaths& paths, const RolloutOptions& rollout, Reporter& out) {
  const std::vector<std::string> units = e.units_of(arm.label);
  if (units.empty()) return exit_ok;
  const auto before = journal_ids(paths);
  int rc = exit_ok;
  std::string refused;
  out.step("arm " + arm.label + " (" + arm.library() + "): " + join(units));
  std::map<std::string, std::string> reason;  // unit -> why it is left out
  // The arm's journals go into the experiment even when the rollout stops
  // mid-way, so `experiment stop` rolls them back.
  auto record_journals = [&] {
    for (const RolloutJournal& j : JournalStore(paths.state_dir).all()) {
      if (before.count(j.id)) continue;
      e.journals.push_back(j.id);
      for (const JournalUnit& ju : j.units) {
        if (ju.phase == "passed" || ju.phase == "configured-not-running" || ju.phase == "unchanged") continue;
        reason[ju.unit] = ju.phase + (ju.reason.empty() ? "" : ": " + ju.reason);
      }
    }
  };
  try {
    rc = arm.glibc() ? cmd_disable(paths, rollout, units, out) : cmd_enable(paths, rollout, arm.library_id, units, out);
  } catch (const Error& e2) {
    if (e2.status != exit_refused && e2.status != exit_usage) {
      record_journals();
      throw;
    }
    refused = e2.what();
    rc = e2.status;
  }
  record_journals();
  for (ExperimentUnit& u : e.units) {
    if (u.arm != arm.label) continue;
    if (!refused.empty()) {
      u.state = "left-out";
      u.reason = refused;
    } else if (reason.count(u.unit)) {
      u.state = "left-out";
      u.reason = reason[u.unit];
    } else {
      u.state = "enrolled";
    }
  }
  return rc;
}

void install_timer(const Experiment& e, const HostPaths& paths, Reporter& out) {
  atomic_write(paths.unit_dir / service_name(e.name), service_text(e, paths));
  atomic_write(paths.unit_dir / timer_name(e.name), timer_text(e));
  Systemd systemd = Systemd::connect();
  systemd.reload();
  systemd.enable_unit_files({timer_name(e.name)});
  systemd.start_unit(timer_name(e.name));
  out.step("timer " + timer_name(e.name) + " enabled and started: samples every " + std::to_string(e.interval_seconds) + " s");
}

void remove_timer(const Experiment& e, const HostPaths& paths, Reporter& out) {
  Systemd systemd = Systemd::connect();
  for (const std::string& unit : {timer_name(e.name), service_name(e.name)}) {
    try {
      systemd.stop_unit(unit);
    } catch (const SystemError&) {
      // not loaded (never started, or removed by hand): nothing to stop
    }
  }
  if (fs::exists(paths.unit_dir / timer_name(e.name))) systemd.disable_unit_files({timer_name(e.name)});
  durable_remove(paths.unit_dir / timer_name(e.name));
  durable_remove(paths.unit_dir / service_name(e.name));
  systemd.reload();
  out.step("timer " + timer_name(e.name) + " stopped and removed");
}

// One sampling round over the experiment's enrolled units, plus any unit
// that now matches its patterns but is in no arm.
std::size_t sample_round(const Experiment& e, const ExperimentStore& store, const HostPaths& paths) {
  const Installed installed = load_installed(paths.lib_dir);
  Systemd systemd = Systemd::connect();
  const std::string time = rfc3339_now(), host = host_name(), boot = boot_id();
  std::vector<SampleRow> rows;
  std::set<std::string> known;
  for (const ExperimentUnit& u : e.units) {
    known.insert(u.unit);
    if (u.state != "enrolled") continue;
    const Arm* arm = e.arm(u.arm);
    UnitInfo info = systemd.unit(u.unit);
    if (info.load_state != "loaded") {
      SampleRow r;
      r.time = time;
      r.host = host;
      r.boot_id = boot;
      r.unit = u.unit;
      r.arm = u.arm;
      r.library = arm ? arm->library() : "";
      r.state = "not-found";
      r.configured = r.mapped = "";
      r.note = "vanished: LoadState=" + info.load_state;
      rows.push_back(r);
      continue;
    }
    const UnitStatus s = inspect_unit(info, installed, our_drop_in_loaded(info, paths.unit_dir), realtime_usec());
    rows.push_back(sample_of(s, arm, time, host, boot));
  }
  std::vector<std::string> globs;
  for (const std::string& p : e.patterns)
    if (has_glob(p)) globs.push_back(p);
  if (!globs.empty()) {
    for (const std::string& unit : match_patterns(globs, systemd.list_units()).units) {
      if (known.count(unit)) continue;
      rows.push_back(sample_of(unit_status(systemd, unit, installed, paths.unit_dir), nullptr, time, host, boot));
    }
  }
  append_samples(store.samples(), rows);
  return rows.size();
}

std::vector<SampleRow> read_samples(const fs::path& path) {
  const auto text = read_if_exists(path);
  if (!text) throw UsageError("no samples yet: " + path.string() + " does not exist");
  return parse_samples(*text, path.string());
}

std::string mb(std::optional<std::uint64_t> bytes) {
  return bytes ? apq::num(static_cast<double>(*bytes) / (1024.0 * 1024.0), 1) : "n/a";
}

int start(const std::string& name, const std::vector<std::string>& patterns, const ExperimentOptions& o,
          const HostPaths& paths, const RolloutOptions& rollout, Reporter& out) {
  ExperimentStore store(paths.state_dir, name);
  if (store.exists())
    throw UsageError("experiment '" + name + "' exists already (" + store.file().string() +
                     "); stop it or choose another name");
  if (o.arms.size() < 2) throw UsageError("experiment start: expected at least two --arm LABEL=LIBRARY_ID|glibc");
  if (patterns.empty()) throw UsageError("experiment start: expected at least one unit PATTERN");
  std::set<std::string> labels;
  const Installed installed = load_installed(paths.lib_dir);
  for (const Arm& a : o.arms) {
    if (!labels.insert(a.label).second) throw UsageError("--arm: the label '" + a.label + "' is given twice");
    if (!a.glibc() && !installed.by_id(a.library_id))
      throw UsageError("--arm " + a.label + "=" + a.library_id + ": library '" + a.library_id + "' is not installed in " +
                       paths.lib_dir.string() + "; installed: " + installed.ids());
  }
  Systemd systemd = Systemd::connect();
  std::vector<std::string> units = resolve_units(systemd, patterns);
  if (units.size() < o.arms.size())
    throw UsageError("experiment start: " + std::to_string(units.size()) + " unit(s) match " + join(patterns) + ", expected at least one per arm (" +
                     std::to_string(o.arms.size()) + ")");
  require_writable_dir(paths.unit_dir, "systemd drop-ins and the experiment's timer");
  require_writable_dir(paths.state_dir, "the experiment's state");

  Experiment e;
  e.name = name;
  e.host = host_name();
  e.created = rfc3339_now();
  e.seed = o.seed;
  e.interval_seconds = o.interval_seconds;
  e.patterns = patterns;
  e.arms = o.arms;
  const auto arm_of = assign_arms(units, o.arms.size(), o.seed);
  for (std::size_t i = 0; i < units.size(); ++i) {
    ExperimentUnit u;
    u.unit = units[i];
    u.arm = o.arms[arm_of[i]].label;
    u.previous_active_state = systemd.unit(units[i]).active_state;
    u.previous_drop_in = read_if_exists(drop_in_path(paths.unit_dir, units[i]));
    e.units.push_back(u);
  }
  store.save(e);  // the assignment and every unit's state, before anything changes
  out.step("experiment " + name + ": " + std::to_string(units.size()) + " unit(s) in " + std::to_string(o.arms.size()) +
           " arms (seed " + std::to_string(o.seed) + "), recorded in " + store.file().string());

  int worst = exit_ok;
  for (const Arm& a : e.arms) {
    int rc = exit_ok;
    try {
      rc = roll_out_arm(e, a, paths, rollout, out);
    } catch (const Error&) {
      store.save(e);  // with the journals so far: `experiment stop NAME` undoes them
      throw;
    }
    store.save(e);
    if (rc == exit_system) worst = exit_system;
    else if (rc != exit_ok && worst == exit_ok) worst = exit_failed;
  }
  install_timer(e, paths, out);
  e.state = "running";
  store.save(e);
  const std::size_t n = sample_round(e, store, paths);

  std::string text = "experiment " + name + " started; first round: " + std::to_string(n) + " sample(s) in " +
                     store.samples().string() + "\n";
  for (const Arm& a : e.arms) {
    text += "  " + a.label + " (" + a.library() + "): " + join(e.units_of(a.label, "enrolled")) + "\n";
    for (const ExperimentUnit& u : e.units)
      if (u.arm == a.label && u.state == "left-out") text += "    LEFT OUT " + u.unit + ": " + u.reason + "\n";
  }
  out.result(text);
  return worst;
}

int status(const std::string& name, const HostPaths& paths, Reporter& out) {
  ExperimentStore store(paths.state_dir, name);
  const Experiment e = store.load();
  std::vector<SampleRow> rows;
  if (fs::exists(store.samples())) rows = read_samples(store.samples());
  const double now = static_cast<double>(std::time(nullptr));
  const double started = parse_time(e.created, store.file().string() + ": created");
  const double until = e.stopped.empty() ? now : parse_time(e.stopped, store.file().string() + ": stopped");
  std::string text = "experiment " + e.name + " on " + e.host + ": " + e.state + ", started " + e.created + ", " +
                     apq::num((until - started) / 86400.0, 3) + " days, sampled every " + std::to_string(e.interval_seconds) +
                     " s, " + std::to_string(rows.size()) + " sample(s)" + (e.adopted.empty() ? "" : ", adopted " + e.adopted) + "\n";
  // The latest sample of each unit.
  std::map<std::string, const SampleRow*> latest;
  for (const SampleRow& r : rows)
    if (!latest.count(r.unit) || latest[r.unit]->epoch() <= r.epoch()) latest[r.unit] = &r;
  for (const Arm& a : e.arms) {
    std::vector<double> rss;
    std::size_t invalid = 0;
    for (const std::string& u : e.units_of(a.label, "enrolled")) {
      auto it = latest.find(u);
      if (it == latest.end()) continue;
      if (it->second->valid && it->second->rss_bytes) rss.push_back(*it->second->rss_bytes / (1024.0 * 1024.0));
      else ++invalid;
    }
    text += "  arm " + a.label + " (" + a.library() + "): " + std::to_string(e.units_of(a.label, "enrolled").size()) +
            " unit(s), " + std::to_string(e.units_of(a.label, "left-out").size()) + " left out; latest: median RSS " +
            (rss.empty() ? std::string("n/a") : apq::num(apq::median(rss), 1) + " MB") + " over " + std::to_string(rss.size()) +
            " valid unit(s)" + (invalid ? ", " + std::to_string(invalid) + " invalid" : "") + "\n";
    for (const std::string& u : e.units_of(a.label)) {
      auto it = latest.find(u);
      text += "    " + u + ": ";
      if (it == latest.end()) text += "no sample\n";
      else
        text += it->second->time + " pid " + std::to_string(it->second->main_pid) + " RSS " + mb(it->second->rss_bytes) +
                " MB, mapped " + it->second->mapped + (it->second->valid ? "" : ", INVALID: " + it->second->note) + "\n";
    }
  }
  out.result(text);
  return exit_ok;
}

int report(const std::string& name, const ExperimentOptions& o, const HostPaths& paths, Reporter& out) {
  ExperimentStore store(paths.state_dir, name);
  std::vector<SampleRow> rows;
  std::vector<Arm> arms;
  double interval = 0;
  std::vector<std::string> left_out;
  if (store.exists()) {
    const Experiment e = store.load();
    arms = e.arms;
    interval = static_cast<double>(e.interval_seconds);
    for (const ExperimentUnit& u : e.units)
      if (u.state == "left-out")  // the reason's first line (the rest is the unit's journal)
        left_out.push_back(e.host + " " + u.unit + " (" + u.arm + "): " + u.reason.substr(0, u.reason.find('\n')));
    rows = read_samples(store.samples());
  } else if (o.merge.empty()) {
    store.load();  // the error naming the missing experiment
  }
  for (const std::string& m : o.merge) {
    const auto more = read_samples(m);
    rows.insert(rows.end(), more.begin(), more.end());
  }
  Report rep = compute_report(name, rows, arms, interval);
  rep.left_out = left_out;

  std::vector<std::string> gate_lines;
  bool gate_pass = true;
  if (o.gate) {
    const ArmResult *base = nullptr, *cand = nullptr;
    for (const ArmResult& a : rep.arms) {
      if (a.arm.label == o.baseline) base = &a;
      if (a.arm.label == o.candidate) cand = &a;
    }
    if (!base || !cand)
      throw UsageError("--gate: '" + (base ? o.candidate : o.baseline) + "' is not one of the experiment's arms");
    // The gate of allocpipe-qualify, with its margins: steady-state anonymous
    // memory and growth per hour (a simulated hour there is a real one here).
    auto summary = [](const ArmResult& a) {
      apq::ArmSummary s;
      s.arm = a.arm.label;
      s.runs = static_cast<int>(a.measured);
      s.steady_anon_mb.median = a.anon_median;
      s.slope_mb_per_h.median = a.slope_median / 24.0;
      return s;
    };
    apq::GateSpec spec;
    spec.enabled = true;
    spec.baseline = o.baseline;
    spec.candidate = o.candidate;
    if (o.max_slope_margin >= 0) spec.max_slope_margin = o.max_slope_margin;
    if (o.max_rss_margin >= 0) spec.max_rss_margin = o.max_rss_margin;
    const apq::GateResult g = apq::evaluate_gate(spec, summary(*base), summary(*cand));
    gate_lines = g.lines;
    gate_lines.push_back(std::string(g.pass ? "PASS" : "FAIL") + ": candidate " + o.candidate + " against baseline " + o.baseline);
    gate_pass = g.pass;
  }

  const fs::path dir = o.out_dir.empty() ? store.dir() / "report" : fs::path(o.out_dir);
  make_dirs(dir);
  atomic_write(dir / "arms.csv", arms_csv(rep));
  atomic_write(dir / "units.csv", units_csv(rep));
  atomic_write(dir / "chart.svg", report_svg(rep));
  // The PNG needs rsvg-convert (librsvg2-bin), which a server may lack: then
  // the report links the SVG and says so, rather than failing.
  const bool png = !apq::find_in_path("rsvg-convert").empty();
  if (png) apq::svg_to_png((dir / "chart.svg").string(), (dir / "chart.png").string(), (dir / "rsvg-convert.log").string());
  else out.warn("rsvg-convert not found (Debian package librsvg2-bin): chart.png not written, the report links chart.svg");
  std::error_code ignore;
  if (!png) fs::remove(dir / "chart.png", ignore);  // never a stale chart from an earlier report
  const std::string md = report_markdown(rep, gate_lines, png ? "chart.png" : "chart.svg");
  atomic_write(dir / "report.md", md);
  out.result(md + "\nwrote " + dir.string() + "/{report.md,arms.csv,units.csv,chart.svg" + (png ? ",chart.png" : "") + "}\n");
  for (const std::string& l : gate_lines) std::fprintf(stderr, "allocpipe-host: gate %s\n", l.c_str());
  return gate_pass ? exit_ok : exit_failed;
}

int stop(const std::string& name, const ExperimentOptions& o, const HostPaths& paths, const RolloutOptions& rollout,
         Reporter& out) {
  ExperimentStore store(paths.state_dir, name);
  Experiment e = store.load();
  if (e.state == "stopped") throw UsageError("experiment '" + name + "' is stopped already (" + e.stopped + ")");
  const Arm* adopt = nullptr;
  if (!o.adopt.empty()) {
    adopt = e.arm(o.adopt);
    if (!adopt) {
      std::vector<std::string> labels;
      for (const Arm& a : e.arms) labels.push_back(a.label);
      throw UsageError("--adopt '" + o.adopt + "': not an arm of experiment " + name + " (arms: " + join(labels) + ")");
    }
  }
  remove_timer(e, paths, out);
  int rc = exit_ok;
  if (adopt) {
    // Every unit of the experiment that systemd still knows moves to the winner.
    Systemd systemd = Systemd::connect();
    std::vector<std::string> units;
    for (const ExperimentUnit& u : e.units) {
      if (systemd.unit(u.unit).load_state == "loaded") units.push_back(u.unit);
      else out.step(u.unit + " is gone (LoadState not loaded): not adopted");
    }
    out.step("adopting " + adopt->label + " (" + adopt->library() + ") for " + std::to_string(units.size()) + " unit(s)");
    if (!units.empty())
      rc = adopt->glibc() ? cmd_disable(paths, rollout, units, out) : cmd_enable(paths, rollout, adopt->library_id, units, out);
    e.adopted = adopt->label;
  } else {
    // Back to the state recorded at start: undo the arms' journals, newest first.
    for (auto it = e.journals.rbegin(); it != e.journals.rend(); ++it) {
      const RolloutJournal j = JournalStore(paths.state_dir).load(*it);
      if (j.state == "rolled-back") continue;
      const int r = cmd_rollback(paths, rollout, *it, out);
      if (r != exit_ok) rc = r;
    }
  }
  e.state = "stopped";
  e.stopped = rfc3339_now();
  store.save(e);
  out.result("experiment " + name + " stopped" + (adopt ? ", adopted " + adopt->label : ", units back as recorded at start") +
             "; samples kept in " + store.samples().string() + "\n");
  return rc;
}

}  // namespace

SampleRow sample_of(const UnitStatus& s, const Arm* arm, const std::string& time, const std::string& host,
                    const std::string& boot_id) {
  SampleRow r;
  r.time = time;
  r.host = host;
  r.boot_id = boot_id;
  r.unit = s.unit;
  r.arm = arm ? arm->label : "";
  r.library = arm ? arm->library() : "";
  r.configured = !s.configured_id.empty() ? s.configured_id : s.configured.empty() ? "none" : join(s.configured, " ");
  r.mapped = !s.mapped_id.empty() ? s.mapped_id : s.mapped_library.empty() ? "glibc" : s.mapped_library;
  if (s.mapped_deleted) r.mapped += " (deleted)";
  r.state = s.active_state;
  r.main_pid = s.main_pid;
  r.restarts = s.restarts;
  r.rss_bytes = s.rss_bytes;
  r.anonymous_bytes = s.anonymous_bytes;
  r.mappings = s.map_count;
  r.uptime_seconds = s.uptime_seconds;
  if (!arm) r.note = "appeared after the start: matches the patterns, in no arm";
  else if (!s.running()) r.note = "not running (" + s.active_state + ")";
  else if (!s.rss_bytes) r.note = "not measured: " + (s.problem.empty() ? std::string("no smaps_rollup") : s.problem);
  else if (s.mapped_deleted) r.note = "maps " + s.mapped_library + ", deleted since it was mapped";
  else if (arm->glibc() && !s.mapped_library.empty()) r.note = "maps " + s.mapped_library + ", expected glibc";
  else if (arm->glibc() && !s.configured.empty()) r.note = "configured LD_PRELOAD=" + join(s.configured, " ") + ", expected none";
  else if (!arm->glibc() && s.mapped_id != arm->library_id) r.note = "maps " + r.mapped + ", expected " + arm->library_id;
  r.valid = r.note.empty();
  for (char& c : r.note)
    if (c == '\n' || c == '\r') c = ' ';
  return r;
}

ExperimentOptions take_experiment_options(std::vector<std::string>& argv) {
  ExperimentOptions o;
  std::vector<std::string> rest;
  std::set<std::string> once;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argv.size() || argv[i + 1].empty()) throw UsageError(a + ": expected a value");
      return argv[++i];
    };
    auto single = [&]() {
      if (!once.insert(a).second) throw UsageError(a + ": given twice");
      o.given.push_back(a);
    };
    if (a == "--arm") {
      o.given.push_back(a);
      o.arms.push_back(parse_arm(value()));
    } else if (a == "--merge") {
      o.given.push_back(a);
      std::string v = value();
      if (!fs::is_regular_file(v)) throw UsageError("--merge '" + v + "': expected an existing samples.csv file");
      o.merge.push_back(v);
    } else if (a == "--interval") {
      single();
      o.interval_seconds = parse_duration(value(), a);
    } else if (a == "--seed") {
      single();
      const std::string v = value();
      char* end = nullptr;
      o.seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-') throw UsageError("--seed '" + v + "': expected a whole number");
    } else if (a == "--out") {
      single();
      o.out_dir = value();
      if (o.out_dir[0] != '/') throw UsageError("--out '" + o.out_dir + "': expected an absolute path");
    } else if (a == "--gate") {
      single();
      o.gate = true;
    } else if (a == "--baseline") {
      single();
      o.baseline = value();
    } else if (a == "--candidate") {
      single();
      o.candidate = value();
    } else if (a == "--adopt") {
      single();
      o.adopt = value();
    } else if (a == "--max-slope-margin") {
      single();
      const std::string v = value();
      char* end = nullptr;
      o.max_slope_margin = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.max_slope_margin >= 0))
        throw UsageError("--max-slope-margin '" + v + "': expected MB per hour, at least 0");
    } else if (a == "--max-rss-margin") {
      single();
      // "10%" or "0.1", as allocpipe-qualify takes it.
      std::string v = value();
      const bool percent = !v.empty() && v.back() == '%';
      const std::string digits = percent ? v.substr(0, v.size() - 1) : v;
      char* end = nullptr;
      const double f = std::strtod(digits.c_str(), &end);
      if (digits.empty() || *end != '\0' || !(f >= 0))
        throw UsageError("--max-rss-margin '" + v + "': expected a fraction such as 0.1 or 10%");
      o.max_rss_margin = percent ? f / 100.0 : f;
    } else {
      rest.push_back(a);
    }
  }
  argv = rest;
  return o;
}

int cmd_experiment(const HostPaths& paths, const RolloutOptions& rollout, const std::vector<std::string>& args,
                   const ExperimentOptions& o, Reporter& out) {
  static const std::set<std::string> subs = {"start", "sample", "status", "report", "stop"};
  if (args.empty() || !subs.count(args[0]))
    throw UsageError("experiment: expected start, status, report, stop or sample, got '" + (args.empty() ? "" : args[0]) + "'");
  const std::string& sub = args[0];
  if (args.size() < 2) throw UsageError("experiment " + sub + ": expected the experiment NAME");
  const std::string& name = args[1];
  check_name(name);
  const std::vector<std::string> rest(args.begin() + 2, args.end());
  auto only = [&](const std::set<std::string>& allowed) {
    for (const std::string& g : o.given)
      if (!allowed.count(g)) throw UsageError(g + " does not apply to 'experiment " + sub + "'");
  };
  if (sub != "start" && !rest.empty()) throw UsageError("experiment " + sub + ": unexpected argument '" + rest.front() + "'");
  if (sub == "start") {
    only({"--arm", "--interval", "--seed"});
    return start(name, rest, o, paths, rollout, out);
  }
  if (sub == "sample") {
    only({});
    ExperimentStore store(paths.state_dir, name);
    const Experiment e = store.load();
    if (e.state == "stopped") throw UsageError("experiment '" + name + "' is stopped; not sampling");
    const std::size_t n = sample_round(e, store, paths);
    out.step("experiment " + name + ": " + std::to_string(n) + " sample(s) appended to " + store.samples().string());
    return exit_ok;
  }
  if (sub == "status") {
    only({});
    return status(name, paths, out);
  }
  if (sub == "report") {
    only({"--merge", "--out", "--gate", "--baseline", "--candidate", "--max-slope-margin", "--max-rss-margin"});
    if (o.gate && (o.baseline.empty() || o.candidate.empty()))
      throw UsageError("--gate: needs --baseline LABEL and --candidate LABEL");
    if (!o.gate && (!o.baseline.empty() || !o.candidate.empty()))
      throw UsageError("--baseline/--candidate: only meaningful with --gate");
    if (o.gate && o.baseline == o.candidate) throw UsageError("--gate: baseline and candidate must differ");
    return report(name, o, paths, out);
  }
  only({"--adopt"});
  return stop(name, o, paths, rollout, out);
}

}  // namespace allocpipe::host::experiment
