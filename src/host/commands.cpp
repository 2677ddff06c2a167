#include "commands.h"

#include "bus.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "library.h"
#include "metrics.h"
#include "procfs.h"
#include "rollout_journal.h"
#include "status.h"
#include "units.h"

namespace allocpipe::host {

namespace {

std::vector<UnitStatus> collect(const HostPaths& paths, const std::vector<std::string>& patterns,
                                const Installed& installed) {
  Systemd systemd = Systemd::connect();
  const std::vector<std::string> units =
      patterns.empty() ? preloading_units(systemd, paths.unit_dir) : resolve_units(systemd, patterns);
  std::vector<UnitStatus> rows;
  for (const std::string& u : units) rows.push_back(unit_status(systemd, u, installed, paths.unit_dir));
  return rows;
}

}  // namespace

int cmd_list(const HostPaths& paths, bool json, Reporter& out) {
  const Installed installed = load_installed(paths.lib_dir);
  for (const std::string& p : installed.problems) out.warn(p);
  if (json) {
    Json::Array libs;
    for (const Library& l : installed.libraries) {
      Json j;
      j["id"] = l.id;
      j["allocator"] = l.allocator;
      j["version"] = l.version;
      j["variant"] = l.variant;
      j["path"] = l.path.string();
      j["source_sha256"] = l.source_sha256;
      libs.push_back(std::move(j));
    }
    Json doc;
    doc["lib_dir"] = paths.lib_dir.string();
    doc["libraries"] = Json(std::move(libs));
    out.result(doc.dump() + "\n");
    return exit_ok;
  }
  std::string text;
  for (const Library& l : installed.libraries)
    text += l.id + "  " + l.allocator + " " + l.version + " " + l.variant + "  " + l.path.string() +
            "  source sha256 " + l.source_sha256 + "\n";
  if (installed.libraries.empty()) text = "no allocpipe library installed in " + paths.lib_dir.string() + "\n";
  out.result(text);
  return exit_ok;
}

int cmd_status(const HostPaths& paths, const std::vector<std::string>& patterns, bool json, Reporter& out) {
  const Installed installed = load_installed(paths.lib_dir);
  const auto rows = collect(paths, patterns, installed);
  const auto max_maps = read_max_map_count();
  Json doc = status_json(rows, max_maps);
  if (json)
    out.result(doc.dump() + "\n");
  else
    out.result(rows.empty() ? "no unit preloads a library (give a PATTERN to see others)\n"
                            : status_table(rows, max_maps));
  return doc.get("ok").boolean("ok") ? exit_ok : exit_failed;
}

int cmd_metrics(const HostPaths& paths, const std::vector<std::string>& patterns, Reporter& out) {
  const Installed installed = load_installed(paths.lib_dir);
  const auto rows = collect(paths, patterns, installed);
  const std::string text = metrics_text(rows, installed, read_max_map_count());
  if (paths.metrics_file == "-") {
    out.result(text);
    return exit_ok;
  }
  make_dirs(paths.metrics_file.parent_path());
  atomic_write(paths.metrics_file, text);
  out.step("wrote " + paths.metrics_file.string() + " (" + std::to_string(rows.size()) + " unit(s))");
  return exit_ok;
}

int cmd_journals(const HostPaths& paths, bool json, Reporter& out) {
  JournalStore store(paths.state_dir);
  const auto journals = store.all();
  if (json) {
    Json::Array all;
    for (const RolloutJournal& j : journals) all.push_back(j.to_json());
    out.result(Json(std::move(all)).dump() + "\n");
    return exit_ok;
  }
  std::string text;
  for (const RolloutJournal& j : journals)
    text += j.id + "  " + j.created + "  " + j.command + (j.library_id.empty() ? "" : " " + j.library_id) + "  " +
            j.state + "  " + std::to_string(j.units.size()) + " unit(s)\n";
  out.result(text.empty() ? "no journal in " + store.dir().string() + "\n" : text);
  return exit_ok;
}

}  // namespace allocpipe::host
