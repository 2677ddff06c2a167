// systemd's D-Bus API through sd-bus, wrapped once: RAII handles for the bus,
// messages and slots, every failure an exception naming the call, the unit
// and D-Bus's own error. As root we talk to PID 1 directly on
// /run/systemd/private (as systemctl does; no dbus-daemon needed), else on
// the system bus.
#pragma once
#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace allocpipe::host {

struct BusDeleter {
  void operator()(sd_bus* b) const { sd_bus_flush_close_unref(b); }
};
struct MessageDeleter {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
struct SlotDeleter {
  void operator()(sd_bus_slot* s) const { sd_bus_slot_unref(s); }
};
using BusPtr = std::unique_ptr<sd_bus, BusDeleter>;
using MessagePtr = std::unique_ptr<sd_bus_message, MessageDeleter>;
using SlotPtr = std::unique_ptr<sd_bus_slot, SlotDeleter>;

// sd_bus_error freed on scope exit.
class BusError {
 public:
  BusError() = default;
  ~BusError() { sd_bus_error_free(&error_); }
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  sd_bus_error* get() { return &error_; }
  std::string text(int r) const;

 private:
  sd_bus_error error_ = SD_BUS_ERROR_NULL;
};

// Throws SystemError "<context>: <D-Bus error or strerror>" when r < 0.
void bus_check(int r, const std::string& context, const BusError* error = nullptr);

struct UnitInfo {
  std::string name, object_path, load_state, active_state, sub_state, fragment_path;
  std::uint32_t main_pid = 0, n_restarts = 0;
  std::uint64_t exec_main_start_usec = 0;  // CLOCK_REALTIME, 0 = never started
  std::vector<std::string> environment, drop_in_paths;
  std::string apparmor_profile;  // "" when none
  bool apparmor_ignore_missing = false;

  bool running() const { return active_state == "active" || active_state == "reloading"; }
};

class Systemd {
 public:
  static Systemd connect();

  // Names of the loaded units (ListUnits).
  std::vector<std::string> list_units();
  // LoadUnit + the properties we use. A unit whose file does not exist comes
  // back with load_state "not-found".
  UnitInfo unit(const std::string& name);
  void reload();  // Manager.Reload (daemon-reload); returns when done

  // Restart jobs (RestartUnit "replace") for all `units`, then wait for every
  // job's JobRemoved: unit -> result ("done", "failed", "timeout", ...,
  // "no-result" when `timeout` passed first).
  // Unit files (EnableUnitFiles / DisableUnitFiles, not runtime) and jobs
  // (StartUnit / StopUnit, mode replace; returns once the job is queued).
  void enable_unit_files(const std::vector<std::string>& files);
  void disable_unit_files(const std::vector<std::string>& files);
  void start_unit(const std::string& unit);
  void stop_unit(const std::string& unit);

  std::map<std::string, std::string> restart_and_wait(const std::vector<std::string>& units,
                                                      std::chrono::seconds timeout);

 private:
  explicit Systemd(BusPtr bus) : bus_(std::move(bus)) {}
  MessagePtr call(const char* member, const std::string& context, const char* types, ...);
  BusPtr bus_;
};

}  // namespace allocpipe::host
