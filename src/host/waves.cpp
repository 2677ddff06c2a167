#include "waves.h"

#include <algorithm>

namespace allocpipe::host {

std::vector<std::vector<std::string>> plan_waves(std::vector<WaveUnit> units, std::size_t canary, std::size_t wave) {
  std::stable_partition(units.begin(), units.end(), [](const WaveUnit& u) { return u.running; });
  std::vector<std::vector<std::string>> waves;
  std::size_t i = 0;
  auto take = [&](std::size_t n) {
    std::vector<std::string> w;
    for (; n > 0 && i < units.size(); --n, ++i) w.push_back(units[i].name);
    waves.push_back(std::move(w));
  };
  if (canary > 0 && !units.empty()) take(canary);
  while (i < units.size()) take(std::max<std::size_t>(wave, 1));
  return waves;
}

}  // namespace allocpipe::host
