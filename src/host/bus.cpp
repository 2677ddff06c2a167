#include "bus.h"

#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "error.h"

namespace allocpipe::host {

namespace {

constexpr const char* destination = "org.freedesktop.systemd1";
constexpr const char* manager_path = "/org/freedesktop/systemd1";
constexpr const char* manager_iface = "org.freedesktop.systemd1.Manager";
constexpr const char* unit_iface = "org.freedesktop.systemd1.Unit";
constexpr const char* service_iface = "org.freedesktop.systemd1.Service";
constexpr std::uint64_t call_timeout_usec = 120ull * 1000 * 1000;  // a Reload of a big system is slow

}  // namespace

std::string BusError::text(int r) const {
  if (sd_bus_error_is_set(&error_))
    return std::string(error_.name) + (error_.message ? std::string(": ") + error_.message : "");
  return std::strerror(r < 0 ? -r : r);
}

void bus_check(int r, const std::string& context, const BusError* error) {
  if (r >= 0) return;
  throw SystemError(context + ": " + (error ? error->text(r) : std::string(std::strerror(-r))));
}

Systemd Systemd::connect() {
  if (::geteuid() == 0) {
    sd_bus* raw = nullptr;
    if (sd_bus_new(&raw) >= 0) {
      BusPtr bus(raw);
      if (sd_bus_set_address(bus.get(), "unix:path=/run/systemd/private") >= 0 && sd_bus_start(bus.get()) >= 0)
        return Systemd(std::move(bus));
    }
  }
  sd_bus* raw = nullptr;
  int r = sd_bus_open_system(&raw);
  BusPtr bus(raw);
  bus_check(r,
            "connecting to systemd (the system bus; as root also /run/systemd/private) - is systemd running as PID 1?");
  return Systemd(std::move(bus));
}

MessagePtr Systemd::call(const char* member, const std::string& context, const char* types, ...) {
  sd_bus_message* raw = nullptr;
  bus_check(sd_bus_message_new_method_call(bus_.get(), &raw, destination, manager_path, manager_iface, member),
            context);
  MessagePtr msg(raw);
  if (types && *types) {
    va_list ap;
    va_start(ap, types);
    int r = sd_bus_message_appendv(msg.get(), types, ap);
    va_end(ap);
    bus_check(r, context);
  }
  BusError error;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call(bus_.get(), msg.get(), call_timeout_usec, error.get(), &reply);
  MessagePtr out(reply);
  bus_check(r, context, &error);
  return out;
}

std::vector<std::string> Systemd::list_units() {
  MessagePtr reply = call("ListUnits", "listing systemd units (Manager.ListUnits)", "");
  bus_check(sd_bus_message_enter_container(reply.get(), SD_BUS_TYPE_ARRAY, "(ssssssouso)"), "reading ListUnits");
  std::vector<std::string> names;
  for (;;) {
    const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
    std::uint32_t job_id;
    int r = sd_bus_message_read(reply.get(), "(ssssssouso)", &name, &description, &load, &active, &sub, &following,
                                &path, &job_id, &job_type, &job_path);
    bus_check(r, "reading ListUnits");
    if (r == 0) break;
    names.emplace_back(name);
  }
  return names;
}

namespace {

std::string get_string(sd_bus* bus, const std::string& path, const char* iface, const char* prop,
                       const std::string& unit) {
  BusError error;
  char* value = nullptr;
  int r = sd_bus_get_property_string(bus, destination, path.c_str(), iface, prop, error.get(), &value);
  bus_check(r, "reading " + std::string(prop) + " of " + unit, &error);
  std::string out(value ? value : "");
  std::free(value);
  return out;
}

template <typename T>
T get_trivial(sd_bus* bus, const std::string& path, const char* iface, const char* prop, char type,
              const std::string& unit) {
  BusError error;
  T value{};
  int r = sd_bus_get_property_trivial(bus, destination, path.c_str(), iface, prop, error.get(), type, &value);
  bus_check(r, "reading " + std::string(prop) + " of " + unit, &error);
  return value;
}

std::vector<std::string> get_strv(sd_bus* bus, const std::string& path, const char* iface, const char* prop,
                                  const std::string& unit) {
  BusError error;
  char** value = nullptr;
  int r = sd_bus_get_property_strv(bus, destination, path.c_str(), iface, prop, error.get(), &value);
  bus_check(r, "reading " + std::string(prop) + " of " + unit, &error);
  std::vector<std::string> out;
  for (char** p = value; p && *p; ++p) {
    out.emplace_back(*p);
    std::free(*p);
  }
  std::free(value);
  return out;
}

}  // namespace

UnitInfo Systemd::unit(const std::string& name) {
  MessagePtr reply = call("LoadUnit", "loading unit " + name + " (Manager.LoadUnit)", "s", name.c_str());
  const char* path = nullptr;
  bus_check(sd_bus_message_read(reply.get(), "o", &path), "reading LoadUnit reply for " + name);
  UnitInfo u;
  u.name = name;
  u.object_path = path;
  sd_bus* bus = bus_.get();
  u.load_state = get_string(bus, u.object_path, unit_iface, "LoadState", name);
  u.active_state = get_string(bus, u.object_path, unit_iface, "ActiveState", name);
  u.sub_state = get_string(bus, u.object_path, unit_iface, "SubState", name);
  u.fragment_path = get_string(bus, u.object_path, unit_iface, "FragmentPath", name);
  u.drop_in_paths = get_strv(bus, u.object_path, unit_iface, "DropInPaths", name);
  if (u.load_state != "loaded") return u;
  u.main_pid = get_trivial<std::uint32_t>(bus, u.object_path, service_iface, "MainPID", 'u', name);
  u.n_restarts = get_trivial<std::uint32_t>(bus, u.object_path, service_iface, "NRestarts", 'u', name);
  u.exec_main_start_usec =
      get_trivial<std::uint64_t>(bus, u.object_path, service_iface, "ExecMainStartTimestamp", 't', name);
  u.environment = get_strv(bus, u.object_path, service_iface, "Environment", name);
  {
    BusError error;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_get_property(bus, destination, u.object_path.c_str(), service_iface, "AppArmorProfile", error.get(),
                                &raw, "(bs)");
    MessagePtr msg(raw);
    bus_check(r, "reading AppArmorProfile of " + name, &error);
    int ignore = 0;
    const char* profile = nullptr;
    bus_check(sd_bus_message_read(msg.get(), "(bs)", &ignore, &profile), "reading AppArmorProfile of " + name);
    u.apparmor_profile = profile ? profile : "";
    u.apparmor_ignore_missing = ignore != 0;
  }
  return u;
}

namespace {

// An "as" argument from a vector (sd_bus_message_append_strv wants char**).
void append_strings(sd_bus_message* m, const std::vector<std::string>& v, const std::string& context) {
  bus_check(sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "s"), context);
  for (const std::string& s : v) bus_check(sd_bus_message_append(m, "s", s.c_str()), context);
  bus_check(sd_bus_message_close_container(m), context);
}

}  // namespace

void Systemd::enable_unit_files(const std::vector<std::string>& files) {
  const std::string context = "enabling " + (files.empty() ? std::string() : files.front()) + " (Manager.EnableUnitFiles)";
  sd_bus_message* raw = nullptr;
  bus_check(sd_bus_message_new_method_call(bus_.get(), &raw, destination, manager_path, manager_iface, "EnableUnitFiles"),
            context);
  MessagePtr msg(raw);
  append_strings(msg.get(), files, context);
  bus_check(sd_bus_message_append(msg.get(), "bb", 0, 1), context);
  BusError error;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call(bus_.get(), msg.get(), call_timeout_usec, error.get(), &reply);
  MessagePtr out(reply);
  bus_check(r, context, &error);
}

void Systemd::disable_unit_files(const std::vector<std::string>& files) {
  const std::string context = "disabling " + (files.empty() ? std::string() : files.front()) + " (Manager.DisableUnitFiles)";
  sd_bus_message* raw = nullptr;
  bus_check(sd_bus_message_new_method_call(bus_.get(), &raw, destination, manager_path, manager_iface, "DisableUnitFiles"),
            context);
  MessagePtr msg(raw);
  append_strings(msg.get(), files, context);
  bus_check(sd_bus_message_append(msg.get(), "b", 0), context);
  BusError error;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call(bus_.get(), msg.get(), call_timeout_usec, error.get(), &reply);
  MessagePtr out(reply);
  bus_check(r, context, &error);
}

void Systemd::start_unit(const std::string& unit) {
  call("StartUnit", "starting " + unit + " (Manager.StartUnit, mode replace)", "ss", unit.c_str(), "replace");
}

void Systemd::stop_unit(const std::string& unit) {
  call("StopUnit", "stopping " + unit + " (Manager.StopUnit, mode replace)", "ss", unit.c_str(), "replace");
}

void Systemd::reload() { call("Reload", "reloading systemd's configuration (Manager.Reload)", ""); }

namespace {

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* results = static_cast<std::map<std::string, std::string>*>(userdata);
  std::uint32_t id = 0;
  const char *job = nullptr, *unit = nullptr, *result = nullptr;
  if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0 && job && result) (*results)[job] = result;
  return 0;
}

}  // namespace

std::map<std::string, std::string> Systemd::restart_and_wait(const std::vector<std::string>& units,
                                                             std::chrono::seconds timeout) {
  // The match is in place before the first job exists, and results are kept
  // by job path, so a job that ends before we read its path is not missed.
  std::map<std::string, std::string> removed;
  sd_bus_slot* raw_slot = nullptr;
  bus_check(sd_bus_match_signal(bus_.get(), &raw_slot, destination, manager_path, manager_iface, "JobRemoved",
                                on_job_removed, &removed),
            "subscribing to systemd's JobRemoved signal");
  SlotPtr slot(raw_slot);
  call("Subscribe", "subscribing to systemd's job signals (Manager.Subscribe)", "");

  std::map<std::string, std::string> job_of_unit;
  for (const std::string& unit : units) {
    MessagePtr reply = call("RestartUnit", "restarting " + unit + " (Manager.RestartUnit, mode replace)", "ss",
                            unit.c_str(), "replace");
    const char* job = nullptr;
    bus_check(sd_bus_message_read(reply.get(), "o", &job), "reading the restart job of " + unit);
    job_of_unit[unit] = job;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto all_done = [&] {
    for (const auto& [unit, job] : job_of_unit)
      if (!removed.count(job)) return false;
    return true;
  };
  while (!all_done()) {
    int r = sd_bus_process(bus_.get(), nullptr);
    bus_check(r, "waiting for restart jobs");
    if (r > 0) continue;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
    r = sd_bus_wait(bus_.get(), static_cast<std::uint64_t>(left));
    if (r < 0 && r != -EINTR) bus_check(r, "waiting for restart jobs");
  }
  std::map<std::string, std::string> out;
  for (const auto& [unit, job] : job_of_unit) {
    auto it = removed.find(job);
    out[unit] = it == removed.end() ? "no-result" : it->second;
  }
  try {
    call("Unsubscribe", "unsubscribing from systemd's job signals", "");
  } catch (const SystemError&) {
    // harmless: systemd drops the subscription when we disconnect
  }
  return out;
}

}  // namespace allocpipe::host
