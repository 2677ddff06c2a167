#include "rollout_journal.h"

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "error.h"

namespace allocpipe::host {

namespace fs = std::filesystem;

namespace {

Json optional_text(const std::optional<std::string>& s) { return s ? Json(*s) : Json(); }
std::optional<std::string> text_or_null(const Json& j, const std::string& what) {
  if (j.is_null()) return std::nullopt;
  return j.str(what);
}
std::string text_or_empty(const Json& j, const std::string& what) { return j.is_null() ? "" : j.str(what); }

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_'))
      return false;
  return true;
}

}  // namespace

std::string rfc3339_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json RolloutJournal::to_json() const {
  Json j;
  j["format"] = 1;
  j["id"] = id;
  j["command"] = command;
  j["library_id"] = library_id.empty() ? Json() : Json(library_id);
  j["library_path"] = library_path.empty() ? Json() : Json(library_path);
  j["created"] = created;
  j["state"] = state;
  j["rolled_back_by"] = rolled_back_by.empty() ? Json() : Json(rolled_back_by);
  j["unit_dir"] = unit_dir;
  Json::Array us;
  for (const JournalUnit& u : units) {
    Json x;
    x["unit"] = u.unit;
    x["drop_in"] = u.drop_in.string();
    x["dir_existed"] = u.dir_existed;
    x["previous_drop_in"] = optional_text(u.previous_drop_in);
    x["new_drop_in"] = optional_text(u.new_drop_in);
    x["previous_active_state"] = u.previous_active_state;
    x["previous_main_pid"] = u.previous_main_pid;
    x["phase"] = u.phase;
    x["reason"] = u.reason.empty() ? Json() : Json(u.reason);
    us.push_back(std::move(x));
  }
  j["units"] = Json(std::move(us));
  Json::Array aa;
  for (const JournalAppArmor& a : apparmor) {
    Json x;
    x["local_file"] = a.local_file.string();
    x["profile_file"] = a.profile_file.string();
    x["profile"] = a.profile;
    x["previous"] = optional_text(a.previous);
    x["added_rule"] = a.added_rule;
    aa.push_back(std::move(x));
  }
  j["apparmor"] = Json(std::move(aa));
  return j;
}

RolloutJournal RolloutJournal::from_json(const Json& j, const std::string& what) {
  RolloutJournal r;
  if (j.at("format", what).integer(what + " format") != 1)
    throw Error(exit_usage, what + ": unknown journal format (expected 1)");
  r.id = j.at("id", what).str(what + " id");
  r.command = j.at("command", what).str(what + " command");
  r.library_id = text_or_empty(j.get("library_id"), what + " library_id");
  r.library_path = text_or_empty(j.get("library_path"), what + " library_path");
  r.created = j.at("created", what).str(what + " created");
  r.state = j.at("state", what).str(what + " state");
  r.rolled_back_by = text_or_empty(j.get("rolled_back_by"), what + " rolled_back_by");
  r.unit_dir = j.at("unit_dir", what).str(what + " unit_dir");
  for (const Json& x : j.at("units", what).array(what + " units")) {
    const std::string w = what + " unit";
    JournalUnit u;
    u.unit = x.at("unit", w).str(w);
    u.drop_in = x.at("drop_in", w).str(w + " drop_in");
    u.dir_existed = x.at("dir_existed", w).boolean(w + " dir_existed");
    u.previous_drop_in = text_or_null(x.get("previous_drop_in"), w + " previous_drop_in");
    u.new_drop_in = text_or_null(x.get("new_drop_in"), w + " new_drop_in");
    u.previous_active_state = x.at("previous_active_state", w).str(w + " previous_active_state");
    u.previous_main_pid = static_cast<std::uint32_t>(x.at("previous_main_pid", w).integer(w + " previous_main_pid"));
    u.phase = x.at("phase", w).str(w + " phase");
    u.reason = text_or_empty(x.get("reason"), w + " reason");
    r.units.push_back(std::move(u));
  }
  for (const Json& x : j.at("apparmor", what).array(what + " apparmor")) {
    const std::string w = what + " apparmor";
    JournalAppArmor a;
    a.local_file = x.at("local_file", w).str(w);
    a.profile_file = x.at("profile_file", w).str(w);
    a.profile = x.at("profile", w).str(w);
    a.previous = text_or_null(x.get("previous"), w + " previous");
    a.added_rule = x.at("added_rule", w).str(w);
    r.apparmor.push_back(std::move(a));
  }
  return r;
}

JournalUnit* RolloutJournal::find(const std::string& unit) {
  for (JournalUnit& u : units)
    if (u.unit == unit) return &u;
  return nullptr;
}

bool RolloutJournal::may_have_changes() const {
  if (!apparmor.empty()) return true;
  for (const JournalUnit& u : units)
    if (u.phase != "rolled-back" && u.phase != "skipped") return true;
  return false;
}

JournalStore::JournalStore(fs::path state_dir) : dir_(std::move(state_dir) / "journal") {}

std::string JournalStore::new_id() const {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  std::string base = std::string(buf) + "-" + std::to_string(::getpid());
  std::string id = base;
  for (int n = 2; fs::exists(dir_ / (id + ".json")); ++n) id = base + "-" + std::to_string(n);
  return id;
}

void JournalStore::save(const RolloutJournal& j) const {
  make_dirs(dir_);
  atomic_write(dir_ / (j.id + ".json"), j.to_json().dump() + "\n");
}

RolloutJournal JournalStore::load(const std::string& id) const {
  if (!valid_id(id))
    throw UsageError("journal id '" + id +
                     "': expected an id such as 20261201T074500Z-1234 (see: allocpipe-host journals)");
  const fs::path path = dir_ / (id + ".json");
  auto text = read_if_exists(path);
  if (!text) {
    std::string known;
    for (const RolloutJournal& j : all()) known += (known.empty() ? "" : ", ") + j.id;
    throw UsageError("journal '" + id + "': no " + path.string() +
                     "; known journals: " + (known.empty() ? "(none)" : known));
  }
  return RolloutJournal::from_json(Json::parse(*text, path.string()), path.string());
}

std::vector<RolloutJournal> JournalStore::all() const {
  std::vector<RolloutJournal> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 6 || name[0] == '.' || name.compare(name.size() - 5, 5, ".json") != 0) continue;
    out.push_back(
        RolloutJournal::from_json(Json::parse(read_file(entry.path()), entry.path().string()), entry.path().string()));
  }
  // Ids start with a UTC timestamp; same-second ids differ by pid, so order by
  // creation time, then by file name.
  std::sort(out.begin(), out.end(), [](const RolloutJournal& a, const RolloutJournal& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

std::optional<RolloutJournal> JournalStore::latest() const {
  auto journals = all();
  if (journals.empty()) return std::nullopt;
  return journals.back();
}

StateLock::StateLock(const fs::path& state_dir) {
  make_dirs(state_dir);
  const fs::path path = state_dir / "lock";
  fd_ = Fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) throw SystemError(errno_text("opening " + path.string(), errno));
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      throw Error(exit_busy, "another allocpipe-host is changing this host (it holds " + path.string() +
                                 "); try again when it has finished");
    throw SystemError(errno_text("locking " + path.string(), errno));
  }
}

}  // namespace allocpipe::host
