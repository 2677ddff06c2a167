#include "tracked.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace apw {

GlobalCounters& counters() {
  static GlobalCounters c;
  return c;
}

namespace {
// Written bytes depend on the size so that pages are really dirtied and a
// deduplicating kernel feature could not share them.
void fill(char* p, size_t n) { std::memset(p, static_cast<int>(0x5a ^ (n & 0xff)), n); }
}  // namespace

void Tracker::mix(uint64_t v) {
  hash_ ^= v;
  hash_ *= 0x100000001b3ULL;
  hash_ ^= hash_ >> 29;
}

void Tracker::account(int64_t delta) {
  auto& c = counters();
  const int64_t now = c.live_bytes.fetch_add(delta, std::memory_order_relaxed) + delta;
  if (delta > 0) {
    int64_t peak = c.peak_live_bytes.load(std::memory_order_relaxed);
    while (now > peak &&
           !c.peak_live_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  if (++pending_ops_ >= 4096) flush_ops();
}

void Tracker::flush_ops() {
  if (pending_ops_ != 0) {
    counters().ops.fetch_add(pending_ops_, std::memory_order_relaxed);
    pending_ops_ = 0;
  }
}

void* Tracker::alloc(size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  fill(static_cast<char*>(p), n);
  mix((1ULL << 62) | n);
  account(static_cast<int64_t>(n));
  return p;
}

void* Tracker::resize(void* p, size_t old_n, size_t new_n) {
  void* q = std::realloc(p, new_n);
  if (q == nullptr) throw std::bad_alloc();
  if (new_n > old_n) fill(static_cast<char*>(q) + old_n, new_n - old_n);
  mix((2ULL << 62) | (old_n << 32) | new_n);
  account(static_cast<int64_t>(new_n) - static_cast<int64_t>(old_n));
  return q;
}

void Tracker::release(void* p, size_t n) {
  if (p == nullptr) return;
  std::free(p);
  mix((3ULL << 62) | n);
  account(-static_cast<int64_t>(n));
}

void TrackedBuf::resize(Tracker& t, size_t n) {
  if (p_ == nullptr) {
    t_ = &t;
    p_ = static_cast<char*>(t.alloc(n));
  } else {
    p_ = static_cast<char*>(t.resize(p_, cap_, n));
  }
  cap_ = n;
}

void TrackedBuf::reset() {
  if (p_ != nullptr) t_->release(p_, cap_);
  p_ = nullptr;
  cap_ = 0;
}

void TrackedBuf::swap(TrackedBuf& o) noexcept {
  std::swap(t_, o.t_);
  std::swap(p_, o.p_);
  std::swap(cap_, o.cap_);
}

}  // namespace apw
