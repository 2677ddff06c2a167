// The order of a rollout: running units first (a canary that is not running
// proves nothing), the first `canary` of them alone, then waves of `wave`.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace allocpipe::host {

struct WaveUnit {
  std::string name;
  bool running = false;
};

std::vector<std::vector<std::string>> plan_waves(std::vector<WaveUnit> units, std::size_t canary, std::size_t wave);

}  // namespace allocpipe::host
