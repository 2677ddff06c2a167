#include "rollout.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "apparmor.h"
#include "bus.h"
#include "dropin.h"
#include "error.h"
#include "fs.h"
#include "library.h"
#include "probe.h"
#include "rollout_journal.h"
#include "status.h"
#include "units.h"
#include "verify.h"
#include "waves.h"

namespace allocpipe::host {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// ------------------------------------------------------------------ AppArmor

struct AppArmorPlan {
  std::string unit, profile;
  fs::path profile_file, local_file;
  std::string rule;
};

void run_apparmor_parser(const HostPaths& paths, const fs::path& profile_file) {
  const std::string parser = paths.apparmor_parser.string();
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError(errno_text("fork for apparmor_parser", errno));
  if (pid == 0) {
    ::execlp(parser.c_str(), parser.c_str(), "-r", profile_file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw SystemError(parser + " -r " + profile_file.string() + " failed (status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                      (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": not installed?" : "") + ")");
}

// Refuses (naming the profile and the missing rule) units whose profile does
// not allow mapping `library`; with --apparmor-allow, returns the rules to add.
std::vector<AppArmorPlan> check_apparmor(const HostPaths& paths, const RolloutOptions& options,
                                         const std::vector<UnitInfo>& units, const std::string& library,
                                         Reporter& out) {
  std::vector<AppArmorPlan> plans;
  const bool on = apparmor::enabled(paths.apparmor_enabled_file);
  std::set<std::string> planned_profiles;
  for (const UnitInfo& u : units) {
    if (u.apparmor_profile.empty()) continue;
    apparmor::Profile profile;
    try {
      profile = apparmor::load_profile(paths.apparmor_dir, u.apparmor_profile);
    } catch (const SystemError& e) {
      if (!on) {
        out.step(u.name + ": AppArmor profile " + u.apparmor_profile +
                 " not checked (AppArmor is not enabled in this kernel; " + e.what() + ")");
        continue;
      }
      throw Refused(u.name + " runs under AppArmor profile '" + u.apparmor_profile +
                    "' but its text cannot be checked: " + e.what() + "; nothing was changed");
    }
    apparmor::MapVerdict v = apparmor::check_map(profile, library);
    if (v.allowed) {
      out.step(u.name + ": AppArmor profile " + u.apparmor_profile + " allows mapping " + library + " (" +
               v.allowed_by + ")" + (on ? "" : " [AppArmor is not enabled in this kernel: not enforced here]"));
      continue;
    }
    const std::string what =
        u.name + " runs under AppArmor profile '" + u.apparmor_profile + "' (" + profile.file.string() +
        "), which does not allow mapping " + library +
        (v.denied_by.empty() ? "; missing rule: " + v.rule_needed : "; it is denied by " + v.denied_by);
    if (!on) {
      out.warn(what +
               " [AppArmor is not enabled in this kernel, so it is not enforced here; on an AppArmor host the loader "
               "would ignore the preload]");
      continue;
    }
    if (!v.denied_by.empty())
      throw Refused(what + "; a deny rule cannot be overridden by allocpipe-host; nothing was changed");
    if (profile.local_includes.empty())
      throw Refused(what + "; the profile includes no local/ file to add it to: add the rule to " +
                    profile.file.string() + " yourself; nothing was changed");
    if (!options.apparmor_allow)
      throw Refused(what + " (add it to " + profile.local_includes.front().string() + " and run apparmor_parser -r " +
                    profile.file.string() + ", or rerun with --apparmor-allow); nothing was changed");
    if (planned_profiles.insert(u.apparmor_profile).second)
      plans.push_back({u.name, u.apparmor_profile, profile.file, profile.local_includes.front(), v.rule_needed});
  }
  return plans;
}

void apply_apparmor(const HostPaths& paths, RolloutJournal& journal, const JournalStore& store,
                    const std::vector<AppArmorPlan>& plans, const std::string& library, Reporter& out) {
  for (const AppArmorPlan& p : plans) {
    JournalAppArmor record{p.local_file, p.profile_file, p.profile, read_if_exists(p.local_file), p.rule};
    journal.apparmor.push_back(record);
    store.save(journal);  // before the local file changes
    std::string content = record.previous.value_or("");
    if (!content.empty() && content.back() != '\n') content += "\n";
    content += "# Added by allocpipe-host (journal " + journal.id + ") so services can preload " + library + "\n" +
               p.rule + "\n";
    make_dirs(p.local_file.parent_path());
    atomic_write(p.local_file, content);
    run_apparmor_parser(paths, p.profile_file);
    apparmor::Profile again = apparmor::load_profile(paths.apparmor_dir, p.profile);
    if (!apparmor::check_map(again, library).allowed)
      throw SystemError("added '" + p.rule + "' to " + p.local_file.string() + " but profile " + p.profile +
                        " still does not allow mapping " + library + "; run allocpipe-host rollback " + journal.id);
    out.step("AppArmor: added '" + p.rule + "' to " + p.local_file.string() + " and reloaded " +
             p.profile_file.string());
  }
}

void undo_apparmor(const HostPaths& paths, const RolloutJournal& journal, Reporter& out) {
  for (const JournalAppArmor& a : journal.apparmor) {
    const auto now = read_if_exists(a.local_file);
    if (now == a.previous) continue;
    if (a.previous)
      atomic_write(a.local_file, *a.previous);
    else
      durable_remove(a.local_file);
    if (apparmor::enabled(paths.apparmor_enabled_file)) run_apparmor_parser(paths, a.profile_file);
    out.step("AppArmor: restored " + a.local_file.string() + " and reloaded " + a.profile_file.string());
  }
}

// ------------------------------------------------------------------ waves

struct Tally {
  std::vector<std::string> passed, not_running, skipped, unchanged;
  std::vector<std::pair<std::string, std::string>> rolled_back, rollback_failed;  // unit, reason
};

// Restarts `units` (all at once), then verifies them against `expect`.
std::map<std::string, std::string> restart_and_verify(Systemd& systemd, const std::vector<std::string>& units,
                                                      const std::map<std::string, std::optional<std::string>>& expect,
                                                      const std::map<std::string, std::uint32_t>& old_pid,
                                                      const Installed& installed, const HostPaths& paths,
                                                      std::chrono::seconds health, std::chrono::seconds start_timeout,
                                                      Reporter& out, const std::string& label) {
  if (units.empty()) return {};
  out.progress(label + ": restarting " + join(units));
  const std::uint64_t since = realtime_usec();
  const auto jobs = systemd.restart_and_wait(units, start_timeout);
  std::vector<Expectation> expectations;
  for (const std::string& u : units) expectations.push_back({u, expect.at(u), old_pid.at(u), jobs.at(u)});
  return verify_units(systemd, expectations, installed, paths.unit_dir, since, health, out, label);
}

// Puts failed units back as the journal recorded them, restarts the ones that
// were running and checks they run what their configuration says.
void put_back(Systemd& systemd, RolloutJournal& journal, const JournalStore& store,
              const std::vector<std::string>& failed, const std::map<std::string, std::string>& reasons,
              const Installed& installed, const HostPaths& paths, const RolloutOptions& options, Reporter& out,
              Tally& tally) {
  if (failed.empty()) return;
  std::vector<std::string> restart;
  std::map<std::string, std::optional<std::string>> expect;
  std::map<std::string, std::uint32_t> pids;
  for (const std::string& u : failed) {
    JournalUnit& ju = *journal.find(u);
    put_drop_in(ju.drop_in, ju.previous_drop_in, ju.dir_existed);
    ju.phase = "putting-back";
    ju.reason = reasons.at(u);
  }
  store.save(journal);
  systemd.reload();
  for (const std::string& u : failed) {
    JournalUnit& ju = *journal.find(u);
    UnitInfo now = systemd.unit(u);
    if (ju.previous_active_state == "active" || ju.previous_active_state == "reloading" || now.running()) {
      restart.push_back(u);
      expect[u] = std::nullopt;
      pids[u] = 0;
    }
  }
  auto after = restart_and_verify(systemd, restart, expect, pids, installed, paths, std::chrono::seconds(0),
                                  options.start_timeout, out, "putting back");
  for (const std::string& u : failed) {
    JournalUnit& ju = *journal.find(u);
    auto it = after.find(u);
    if (it != after.end() && !it->second.empty()) {
      ju.phase = "rollback-failed";
      tally.rollback_failed.push_back({u, ju.reason + "\n  putting it back failed too: " + it->second});
      out.step(u + ": FAILED and putting it back failed: " + it->second);
    } else {
      ju.phase = "rolled-back";
      tally.rolled_back.push_back({u, ju.reason});
      out.step(u + ": FAILED, put back as it was: " + ju.reason);
    }
  }
  store.save(journal);
}

std::string summary(const Tally& t, const char* changed_title = "changed and verified") {
  std::string s;
  auto line = [&](const std::string& title, const std::vector<std::string>& v) {
    if (!v.empty()) s += title + " (" + std::to_string(v.size()) + "): " + join(v) + "\n";
  };
  line(changed_title, t.passed);
  line("configured, not running (not started; verify when started)", t.not_running);
  line("unchanged", t.unchanged);
  line("not touched (the rollout stopped)", t.skipped);
  std::vector<std::string> names;
  for (const auto& [u, r] : t.rolled_back) names.push_back(u);
  line("failed and rolled back", names);
  names.clear();
  for (const auto& [u, r] : t.rollback_failed) names.push_back(u);
  line("FAILED AND NOT BACK AS BEFORE (see above)", names);
  return s;
}

// Our drop-in already says what is wanted and the running process (if any)
// runs it: nothing to do.
bool already_as_wanted(const UnitInfo& u, const Installed& installed, const HostPaths& paths, const Library* library) {
  if (!u.running()) return true;
  UnitStatus s = inspect_unit(u, installed, our_drop_in_loaded(u, paths.unit_dir), realtime_usec());
  if (!s.match || !*s.match) return false;
  return library ? s.mapped_library == library->path.string() || s.mapped_id == library->id : true;
}

// The common rollout of enable and disable: journal, then waves.
int roll_out(const HostPaths& paths, const RolloutOptions& options, Systemd& systemd, const Installed& installed,
             const std::vector<UnitInfo>& units, const std::string& command, const Library* library,
             const std::vector<AppArmorPlan>& apparmor_plans, Reporter& out) {
  JournalStore store(paths.state_dir);
  StateLock lock(paths.state_dir);
  RolloutJournal journal;
  journal.id = store.new_id();
  journal.command = command;
  journal.created = rfc3339_now();
  journal.unit_dir = paths.unit_dir.string();
  if (library) {
    journal.library_id = library->id;
    journal.library_path = library->path.string();
  }
  Tally tally;
  std::vector<std::string> to_change;
  for (const UnitInfo& u : units) {
    JournalUnit ju;
    ju.unit = u.name;
    ju.drop_in = drop_in_path(paths.unit_dir, u.name);
    ju.dir_existed = fs::is_directory(ju.drop_in.parent_path());
    ju.previous_drop_in = read_if_exists(ju.drop_in);
    if (library) ju.new_drop_in = drop_in_content(library->path.string(), library->id);
    ju.previous_active_state = u.active_state;
    ju.previous_main_pid = u.main_pid;
    if (ju.previous_drop_in == ju.new_drop_in && already_as_wanted(u, installed, paths, library)) {
      tally.unchanged.push_back(u.name);
      continue;  // enabled before (or nothing of ours to remove) and running that way: idempotent
    }
    journal.units.push_back(ju);
    to_change.push_back(u.name);
  }
  if (to_change.empty()) {
    out.result(summary(tally));
    return exit_ok;
  }

  store.save(journal);  // durable before anything on the host changes
  out.step("journal " + journal.id + " written (" + (store.dir() / (journal.id + ".json")).string() + ")");
  try {
    if (library) apply_apparmor(paths, journal, store, apparmor_plans, library->path.string(), out);
    std::map<std::string, const UnitInfo*> info;
    for (const UnitInfo& u : units) info[u.name] = &u;
    std::vector<WaveUnit> order;
    for (const std::string& name : to_change) order.push_back({name, info[name]->running()});
    const auto waves = plan_waves(order, options.canary, options.wave);
    std::size_t failures = 0;
    for (std::size_t w = 0; w < waves.size(); ++w) {
      const std::string label =
          (options.canary > 0 && w == 0 ? std::string("canary")
                                        : "wave " + std::to_string(w + (options.canary > 0 ? 0 : 1))) +
          " (" + std::to_string(w + 1) + "/" + std::to_string(waves.size()) + ")";
      if (failures >= options.max_failures) {
        for (const std::string& u : waves[w]) {
          journal.find(u)->phase = "skipped";
          tally.skipped.push_back(u);
        }
        continue;
      }
      for (const std::string& u : waves[w]) {
        JournalUnit& ju = *journal.find(u);
        // disable: the <unit>.d directory goes too when ours was the last file in it
        put_drop_in(ju.drop_in, ju.new_drop_in, library ? ju.dir_existed : false);
        ju.phase = "written";
      }
      store.save(journal);
      systemd.reload();
      out.step(label + ": " + (library ? "drop-ins written" : "drop-ins removed") + " for " + join(waves[w]) +
               ", systemd reloaded");
      std::vector<std::string> restart;
      std::map<std::string, std::optional<std::string>> expect;
      std::map<std::string, std::uint32_t> pids;
      for (const std::string& u : waves[w]) {
        if (!info[u]->running()) {
          journal.find(u)->phase = "configured-not-running";
          tally.not_running.push_back(u);
          continue;
        }
        restart.push_back(u);
        expect[u] = library ? std::optional<std::string>(library->path.string()) : std::nullopt;
        pids[u] = info[u]->main_pid;
        journal.find(u)->phase = "restarting";
      }
      store.save(journal);
      auto reasons = restart_and_verify(systemd, restart, expect, pids, installed, paths, options.health,
                                        options.start_timeout, out, label);
      std::vector<std::string> failed;
      for (const std::string& u : restart) {
        if (reasons[u].empty()) {
          journal.find(u)->phase = "passed";
          tally.passed.push_back(u);
          out.step(label + ": " + u + " passed (" +
                   (library ? "maps " + library->id : std::string("runs what its configuration says")) + ", up for " +
                   std::to_string(options.health.count()) + " s)");
        } else {
          failed.push_back(u);
        }
      }
      store.save(journal);
      put_back(systemd, journal, store, failed, reasons, installed, paths, options, out, tally);
      failures += failed.size();
      if (failures >= options.max_failures && w + 1 < waves.size())
        out.step("stopping: " + std::to_string(failures) + " failure(s), --max-failures " +
                 std::to_string(options.max_failures));
    }
    journal.state = failures ? "failed" : "finished";
    store.save(journal);
  } catch (const std::exception& e) {
    // Whatever broke, the host may be half-way: say how to get back.
    const auto* error = dynamic_cast<const Error*>(&e);
    const Exit status =
        error && error->status != exit_usage && error->status != exit_refused ? error->status : exit_system;
    throw Error(status, std::string(e.what()) + "\nthe journal " + journal.id +
                            " records what may have changed: run 'allocpipe-host rollback " + journal.id + "'");
  }
  out.result(summary(tally) + "journal: " + journal.id + " (undo with: allocpipe-host rollback " + journal.id + ")\n");
  if (!tally.rollback_failed.empty()) return exit_system;
  return tally.rolled_back.empty() ? exit_ok : exit_failed;
}

std::vector<UnitInfo> load_units(Systemd& systemd, const std::vector<std::string>& names) {
  std::vector<UnitInfo> units;
  for (const std::string& n : names) units.push_back(systemd.unit(n));
  return units;
}

}  // namespace

int cmd_enable(const HostPaths& paths, const RolloutOptions& options, const std::string& library_id,
               const std::vector<std::string>& patterns, Reporter& out) {
  const Installed installed = load_installed(paths.lib_dir);
  const Library* library = installed.by_id(library_id);
  if (!library) {
    std::string problems;
    for (const std::string& p : installed.problems) problems += "\n  " + p;
    throw UsageError("library '" + library_id + "' is not installed in " + paths.lib_dir.string() +
                     "; installed: " + installed.ids() + problems);
  }
  require_unit_file_safe_path(library->path.string());
  ProbeResult probe = probe_preload(library->path.string(), paths.probe_program);
  if (!probe.ok)
    throw Refused("library " + library->id + " (" + library->path.string() +
                  ") fails the preload probe: " + probe.reason + "; no unit was touched");
  out.step("probe: " + library->path.string() + " preloads and maps cleanly");

  Systemd systemd = Systemd::connect();
  const std::vector<UnitInfo> units = load_units(systemd, resolve_units(systemd, patterns));
  for (const UnitInfo& u : units) {
    auto preload = preload_of(u.environment);
    if (preload && !our_drop_in_loaded(u, paths.unit_dir))
      throw Refused(
          u.name + " already sets LD_PRELOAD=" + *preload + " in its own configuration (" +
          join(u.drop_in_paths.empty() ? std::vector<std::string>{u.fragment_path} : u.drop_in_paths) +
          "); expected no LD_PRELOAD outside allocpipe's drop-in: remove that setting first; nothing was changed");
  }
  const auto plans = check_apparmor(paths, options, units, library->path.string(), out);
  require_writable_dir(paths.unit_dir, "systemd drop-ins");
  require_writable_dir(paths.state_dir, "the rollout journal");
  for (const AppArmorPlan& p : plans) require_writable_dir(p.local_file.parent_path(), "AppArmor local rules");

  if (options.dry_run) {
    std::string plan = "dry run: would preload " + library->path.string() + " (" + library->id + ") into " +
                       std::to_string(units.size()) + " unit(s):\n";
    std::vector<WaveUnit> order;
    for (const UnitInfo& u : units) order.push_back({u.name, u.running()});
    const auto waves = plan_waves(order, options.canary, options.wave);
    for (std::size_t w = 0; w < waves.size(); ++w)
      plan += "  " + std::string(options.canary > 0 && w == 0 ? "canary" : "wave") + ": " + join(waves[w]) + "\n";
    for (const AppArmorPlan& p : plans) plan += "  AppArmor: add '" + p.rule + "' to " + p.local_file.string() + "\n";
    plan += "  drop-in: " + drop_in_path(paths.unit_dir, "<unit>").string() + "\n";
    out.result(plan);
    return exit_ok;
  }
  return roll_out(paths, options, systemd, installed, units, "enable", library, plans, out);
}

int cmd_disable(const HostPaths& paths, const RolloutOptions& options, const std::vector<std::string>& patterns,
                Reporter& out) {
  const Installed installed = load_installed(paths.lib_dir);
  Systemd systemd = Systemd::connect();
  const std::vector<UnitInfo> units = load_units(systemd, resolve_units(systemd, patterns));
  require_writable_dir(paths.unit_dir, "systemd drop-ins");
  require_writable_dir(paths.state_dir, "the rollout journal");
  if (options.dry_run) {
    std::string plan = "dry run: would remove allocpipe's drop-in from:\n";
    for (const UnitInfo& u : units)
      if (fs::exists(drop_in_path(paths.unit_dir, u.name))) plan += "  " + u.name + "\n";
    out.result(plan);
    return exit_ok;
  }
  return roll_out(paths, options, systemd, installed, units, "disable", nullptr, {}, out);
}

int cmd_rollback(const HostPaths& paths, const RolloutOptions& options, const std::optional<std::string>& journal_id,
                 Reporter& out) {
  JournalStore store(paths.state_dir);
  RolloutJournal journal;
  if (journal_id) {
    journal = store.load(*journal_id);
  } else {
    auto latest = store.latest();
    if (!latest) throw UsageError("nothing to roll back: no journal in " + store.dir().string());
    journal = *latest;
    if (journal.state == "rolled-back") {
      out.result("the last rollout, journal " + journal.id + " (" + journal.command +
                 "), is already rolled back; nothing to do"
                 " (to undo an older one, give its id: allocpipe-host journals)\n");
      return exit_ok;
    }
  }
  const Installed installed = load_installed(paths.lib_dir);
  require_writable_dir(journal.unit_dir, "systemd drop-ins");
  StateLock lock(paths.state_dir);
  out.step("rolling back journal " + journal.id + " (" + journal.command +
           (journal.library_id.empty() ? "" : " " + journal.library_id) + ", " + journal.state + ", " +
           std::to_string(journal.units.size()) + " unit(s))");
  if (!journal.may_have_changes())
    out.step("journal " + journal.id +
             " left nothing changed (every unit was put back or not touched); checking its units anyway");
  Systemd systemd = Systemd::connect();
  undo_apparmor(paths, journal, out);
  std::set<std::string> changed;
  for (JournalUnit& ju : journal.units) {
    if (read_if_exists(ju.drop_in) != ju.previous_drop_in) {
      put_drop_in(ju.drop_in, ju.previous_drop_in, ju.dir_existed);
      changed.insert(ju.unit);
    }
  }
  if (!changed.empty()) systemd.reload();
  out.step("drop-ins restored for " + std::to_string(changed.size()) + " unit(s)" +
           (changed.empty() ? "" : ", systemd reloaded"));

  Tally tally;
  std::vector<std::string> restart;
  std::map<std::string, std::optional<std::string>> expect;
  std::map<std::string, std::uint32_t> pids;
  for (const JournalUnit& ju : journal.units) {
    UnitInfo now = systemd.unit(ju.unit);
    const bool was_running = ju.previous_active_state == "active" || ju.previous_active_state == "reloading";
    UnitStatus s = inspect_unit(now, installed, our_drop_in_loaded(now, paths.unit_dir), realtime_usec());
    bool maps_ours = !journal.library_path.empty() && s.running() && s.mapped_library == journal.library_path;
    bool previously_ours = ju.previous_drop_in && ju.previous_drop_in->find(journal.library_path) != std::string::npos;
    const bool needs =
        (was_running && !now.running()) ||
        (now.running() && (changed.count(ju.unit) || (s.match && !*s.match) || (maps_ours && !previously_ours)));
    if (needs) {
      restart.push_back(ju.unit);
      expect[ju.unit] = std::nullopt;
      pids[ju.unit] = 0;
    } else {
      tally.unchanged.push_back(ju.unit);
    }
  }
  auto reasons = restart_and_verify(systemd, restart, expect, pids, installed, paths, options.health,
                                    options.start_timeout, out, "rollback");
  for (const std::string& u : restart) {
    if (reasons[u].empty()) {
      tally.passed.push_back(u);
      out.step("rollback: " + u + " is back as recorded and verified");
    } else {
      tally.rollback_failed.push_back({u, reasons[u]});
      out.step("rollback: " + u + " FAILED: " + reasons[u]);
    }
  }
  if (tally.rollback_failed.empty()) {
    journal.state = "rolled-back";
    store.save(journal);
  }
  out.result(summary(tally, "restored and verified") +
             (tally.rollback_failed.empty()
                  ? "journal " + journal.id + " rolled back\n"
                  : "journal " + journal.id + " NOT fully rolled back; fix the units above and run rollback again\n"));
  return tally.rollback_failed.empty() ? exit_ok : exit_failed;
}

}  // namespace allocpipe::host
