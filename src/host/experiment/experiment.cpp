#include "experiment.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "error.h"
#include "fs.h"

namespace allocpipe::host::experiment {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Json optional_text(const std::optional<std::string>& s) { return s ? Json(*s) : Json(); }

bool name_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

}  // namespace

const Arm* Experiment::arm(const std::string& label) const {
  for (const Arm& a : arms)
    if (a.label == label) return &a;
  return nullptr;
}

std::vector<std::string> Experiment::units_of(const std::string& arm, const std::string& state) const {
  std::vector<std::string> out;
  for (const ExperimentUnit& u : units)
    if (u.arm == arm && (state.empty() || u.state == state)) out.push_back(u.unit);
  return out;
}

Json Experiment::to_json() const {
  Json j;
  j["format"] = 1;
  j["name"] = name;
  j["host"] = host;
  j["created"] = created;
  j["seed"] = static_cast<unsigned long long>(seed);
  j["interval_seconds"] = static_cast<unsigned long long>(interval_seconds);
  j["state"] = state;
  j["stopped"] = stopped.empty() ? Json() : Json(stopped);
  j["adopted"] = adopted.empty() ? Json() : Json(adopted);
  Json::Array ps(patterns.begin(), patterns.end());
  j["patterns"] = Json(std::move(ps));
  Json::Array as;
  for (const Arm& a : arms) {
    Json x;
    x["label"] = a.label;
    x["library_id"] = a.glibc() ? Json() : Json(a.library_id);
    as.push_back(std::move(x));
  }
  j["arms"] = Json(std::move(as));
  Json::Array us;
  for (const ExperimentUnit& u : units) {
    Json x;
    x["unit"] = u.unit;
    x["arm"] = u.arm;
    x["state"] = u.state;
    x["reason"] = u.reason.empty() ? Json() : Json(u.reason);
    x["previous_active_state"] = u.previous_active_state;
    x["previous_drop_in"] = optional_text(u.previous_drop_in);
    us.push_back(std::move(x));
  }
  j["units"] = Json(std::move(us));
  Json::Array js(journals.begin(), journals.end());
  j["journals"] = Json(std::move(js));
  return j;
}

Experiment Experiment::from_json(const Json& j, const std::string& what) {
  Experiment e;
  e.name = j.at("name", what).str(what + ": name");
  e.host = j.at("host", what).str(what + ": host");
  e.created = j.at("created", what).str(what + ": created");
  e.seed = static_cast<std::uint64_t>(j.at("seed", what).integer(what + ": seed"));
  e.interval_seconds = static_cast<std::uint64_t>(j.at("interval_seconds", what).integer(what + ": interval_seconds"));
  e.state = j.at("state", what).str(what + ": state");
  if (!j.get("stopped").is_null()) e.stopped = j.get("stopped").str(what + ": stopped");
  if (!j.get("adopted").is_null()) e.adopted = j.get("adopted").str(what + ": adopted");
  for (const Json& p : j.at("patterns", what).array(what + ": patterns")) e.patterns.push_back(p.str(what + ": patterns[]"));
  for (const Json& a : j.at("arms", what).array(what + ": arms")) {
    Arm arm;
    arm.label = a.at("label", what).str(what + ": arms[].label");
    if (!a.get("library_id").is_null()) arm.library_id = a.get("library_id").str(what + ": arms[].library_id");
    e.arms.push_back(arm);
  }
  for (const Json& u : j.at("units", what).array(what + ": units")) {
    ExperimentUnit x;
    x.unit = u.at("unit", what).str(what + ": units[].unit");
    x.arm = u.at("arm", what).str(what + ": units[].arm");
    x.state = u.at("state", what).str(what + ": units[].state");
    if (!u.get("reason").is_null()) x.reason = u.get("reason").str(what + ": units[].reason");
    x.previous_active_state = u.at("previous_active_state", what).str(what + ": units[].previous_active_state");
    if (!u.get("previous_drop_in").is_null()) x.previous_drop_in = u.get("previous_drop_in").str(what + ": units[].previous_drop_in");
    e.units.push_back(x);
  }
  for (const Json& id : j.at("journals", what).array(what + ": journals")) e.journals.push_back(id.str(what + ": journals[]"));
  return e;
}

Arm parse_arm(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw UsageError("--arm '" + spec + "': expected LABEL=LIBRARY_ID or LABEL=glibc");
  Arm a;
  a.label = spec.substr(0, eq);
  for (char c : a.label)
    if (!name_char(c) && c != '.')
      throw UsageError("--arm '" + spec + "': the label may hold letters, digits, '.', '-' and '_' only");
  const std::string lib = spec.substr(eq + 1);
  if (lib != "glibc") a.library_id = lib;
  return a;
}

std::uint64_t parse_duration(const std::string& text, const std::string& what) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "s" || unit == "sec") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  const std::uint64_t n = digits > 0 && digits <= 9 ? std::strtoull(text.substr(0, digits).c_str(), nullptr, 10) : 0;
  if (scale == 0 || n == 0)
    throw UsageError(what + " '" + text + "': expected a duration such as 30s, 5min, 1h or 1d (at least 1 s)");
  return n * scale;
}

void check_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && name_char(c);
  if (!ok)
    throw UsageError("experiment name '" + name + "': expected 1-64 letters, digits, '-' or '_' (it becomes part of a unit name)");
}

std::vector<std::size_t> assign_arms(std::vector<std::string>& units, std::size_t arms, std::uint64_t seed) {
  std::sort(units.begin(), units.end());
  std::vector<std::string> order = units;
  std::uint64_t state = seed;
  for (std::size_t i = order.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(splitmix64(state) % i);
    std::swap(order[i - 1], order[j]);
  }
  std::vector<std::size_t> out(units.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto pos = std::lower_bound(units.begin(), units.end(), order[k]) - units.begin();
    out[static_cast<std::size_t>(pos)] = k % arms;
  }
  return out;
}

ExperimentStore::ExperimentStore(const std::filesystem::path& state_dir, const std::string& name)
    : dir_(state_dir / "experiments" / name), name_(name) {
  check_name(name);
}

bool ExperimentStore::exists() const { return std::filesystem::exists(file()); }

Experiment ExperimentStore::load() const {
  const auto text = read_if_exists(file());
  if (!text) throw UsageError("no experiment '" + name_ + "' (expected " + file().string() + ")");
  return Experiment::from_json(Json::parse(*text, file().string()), file().string());
}

void ExperimentStore::save(const Experiment& e) const {
  make_dirs(dir_);
  atomic_write(file(), e.to_json().dump() + "\n");
}

}  // namespace allocpipe::host::experiment
