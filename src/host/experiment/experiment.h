// A fleet experiment on one host: units split into arms (an allocpipe library
// each, or glibc), recorded in <state-dir>/experiments/NAME/experiment.json
// before anything on the host changes, so `experiment stop` can always put
// every unit back as it was.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "json.h"

namespace allocpipe::host::experiment {

struct Arm {
  std::string label;
  std::string library_id;  // "" = glibc (no allocpipe drop-in)
  bool glibc() const { return library_id.empty(); }
  std::string library() const { return glibc() ? "glibc" : library_id; }
};

struct ExperimentUnit {
  std::string unit, arm;
  std::string state = "assigned";  // assigned, enrolled, left-out
  std::string reason;              // why it was left out
  std::string previous_active_state;
  std::optional<std::string> previous_drop_in;  // our drop-in at start (nullopt: none)
};

struct Experiment {
  std::string name, host, created;
  std::uint64_t seed = 1;
  std::uint64_t interval_seconds = 300;
  std::vector<std::string> patterns;
  std::vector<Arm> arms;
  std::vector<ExperimentUnit> units;
  std::vector<std::string> journals;  // rollout journals of the arms, in the order they ran
  std::string state = "starting";     // starting, running, stopped
  std::string stopped, adopted;

  const Arm* arm(const std::string& label) const;
  std::vector<std::string> units_of(const std::string& arm, const std::string& state = "") const;
  Json to_json() const;
  static Experiment from_json(const Json& j, const std::string& what);
};

// "LABEL=LIBRARY_ID" or "LABEL=glibc"; UsageError naming the argument.
Arm parse_arm(const std::string& spec);
// "300", "30s", "5min", "2h", "1d" -> seconds (at least 1); UsageError otherwise.
std::uint64_t parse_duration(const std::string& text, const std::string& what);
// A name usable in a unit name and a directory: [A-Za-z0-9_-], 1-64 characters.
void check_name(const std::string& name);

// Balanced, deterministic assignment: the units sorted by name, shuffled by
// a seeded Fisher-Yates (splitmix64, the same on every platform), then dealt
// to the arms in turn, so arm sizes differ by at most one. Returns the arm
// index of each unit, parallel to the sorted `units`.
std::vector<std::size_t> assign_arms(std::vector<std::string>& units, std::size_t arms, std::uint64_t seed);

class ExperimentStore {
 public:
  ExperimentStore(const std::filesystem::path& state_dir, const std::string& name);
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file() const { return dir_ / "experiment.json"; }
  std::filesystem::path samples() const { return dir_ / "samples.csv"; }
  bool exists() const;
  Experiment load() const;  // UsageError when there is no such experiment
  void save(const Experiment& e) const;  // atomic and durable

 private:
  std::filesystem::path dir_;
  std::string name_;
};

}  // namespace allocpipe::host::experiment
