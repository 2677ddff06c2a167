// The rollout journal, <state-dir>/journal/<id>.json: what a command is about
// to change, written durably (atomic_write) BEFORE the first drop-in and
// rewritten at every step. After a kill -9 or a power cut it still says, per
// unit, what the drop-in was before (content or absence) and whether the unit
// was running, which is all `rollback` needs.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fs.h"
#include "json.h"

namespace allocpipe::host {

struct JournalUnit {
  std::string unit;
  std::filesystem::path drop_in;
  bool dir_existed = false;
  std::optional<std::string> previous_drop_in;  // nullopt: there was none
  std::optional<std::string> new_drop_in;       // nullopt: the command removes it
  std::string previous_active_state;
  std::uint32_t previous_main_pid = 0;
  std::string phase = "planned";  // planned, written, restarted, passed, failed, rolled-back, unchanged
  std::string reason;             // why it failed, when it did
};

struct JournalAppArmor {
  std::filesystem::path local_file, profile_file;
  std::string profile;
  std::optional<std::string> previous;  // nullopt: the local file did not exist
  std::string added_rule;
};

struct RolloutJournal {
  std::string id, command, library_id, library_path, created, unit_dir;
  std::string state = "started";  // started, finished, failed, rolled-back
  std::string rolled_back_by;     // id of the rollback journal that undid this one
  std::vector<JournalUnit> units;
  std::vector<JournalAppArmor> apparmor;

  Json to_json() const;
  static RolloutJournal from_json(const Json& j, const std::string& what);
  JournalUnit* find(const std::string& unit);
  // False only when every unit was put back or never touched (and no
  // AppArmor rule was added): rolling it back would change nothing. A unit
  // still "planned" may have been written just before a crash: it counts.
  bool may_have_changes() const;
};

class JournalStore {
 public:
  explicit JournalStore(std::filesystem::path state_dir);
  const std::filesystem::path& dir() const { return dir_; }

  std::string new_id() const;  // YYYYMMDDTHHMMSSZ-<pid>, unique in the store
  void save(const RolloutJournal& j) const;
  RolloutJournal load(const std::string& id) const;  // UsageError listing known ids when absent
  std::vector<RolloutJournal> all() const;           // oldest first
  // The newest journal, whatever its state: `rollback` without an id undoes
  // the last rollout and never reaches past it to an older one.
  std::optional<RolloutJournal> latest() const;

 private:
  std::filesystem::path dir_;
};

// Exclusive, non-blocking lock on <state-dir>/lock for the life of the object;
// throws Error(exit_busy) when another allocpipe-host holds it.
class StateLock {
 public:
  explicit StateLock(const std::filesystem::path& state_dir);

 private:
  Fd fd_;
};

std::string rfc3339_now();

}  // namespace allocpipe::host
