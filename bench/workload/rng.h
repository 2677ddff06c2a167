// Deterministic pseudo-random numbers (xoshiro256**, seeded by splitmix64).
// Everything the workload decides comes from an Rng derived from --seed, so a
// run's sequence of allocation requests is a pure function of its options.
#pragma once

#include <cmath>
#include <cstdint>

namespace apw {

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Seed for an independent stream, e.g. derive_seed(seed, kStreamJob, hour * 1000 + job).
inline uint64_t derive_seed(uint64_t seed, uint64_t stream, uint64_t index = 0) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  splitmix64(x);
  x ^= index * 0x8cb92ba72f3d8dd7ULL;
  return splitmix64(x);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n); 0 when n == 0.
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  // Uniform integer in [lo, hi] (inclusive); lo when hi < lo.
  uint64_t range(uint64_t lo, uint64_t hi) { return hi <= lo ? lo : lo + below(hi - lo + 1); }
  bool chance(double p) { return uniform() < p; }
  // Pareto with scale xm (the minimum) and shape alpha.
  double pareto(double xm, double alpha) { return xm / std::pow(1.0 - uniform(), 1.0 / alpha); }
  // Log-uniform integer in [lo, hi]: as many values per decade.
  uint64_t log_uniform(uint64_t lo, uint64_t hi) {
    if (hi <= lo || lo == 0) return lo;
    const double l = std::log(static_cast<double>(lo));
    const double h = std::log(static_cast<double>(hi));
    const auto v = static_cast<uint64_t>(std::exp(l + uniform() * (h - l)));
    return v < lo ? lo : (v > hi ? hi : v);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace apw
