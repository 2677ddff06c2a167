// Allocation front-end of the workload. Every block the workload asks for goes
// through a Tracker, which
//  - calls the process's malloc/realloc/free (whatever LD_PRELOAD put there),
//  - writes every byte it hands out, so live bytes are resident bytes,
//  - keeps the process-wide live-byte counter (bytes requested and not freed),
//  - counts operations and folds each request into a checksum, so two runs
//    with the same options can be compared for determinism.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace apw {

struct GlobalCounters {
  std::atomic<int64_t> live_bytes{0};
  std::atomic<int64_t> peak_live_bytes{0};
  std::atomic<uint64_t> ops{0};
};

GlobalCounters& counters();

class Tracker {
 public:
  Tracker() = default;
  ~Tracker() { flush_ops(); }
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // All three throw std::bad_alloc when the allocator returns null.
  void* alloc(size_t n);
  void* resize(void* p, size_t old_n, size_t new_n);  // realloc
  void release(void* p, size_t n);

  // Publishes this tracker's operation count to counters().ops.
  void flush_ops();
  uint64_t checksum() const { return hash_; }
  void mix(uint64_t v);  // fold an external value (e.g. a job checksum) in

 private:
  void account(int64_t delta);
  uint64_t pending_ops_ = 0;
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// A byte buffer owned by a Tracker-managed allocation (connection buffers,
// consensus body, compressed outputs). Movable, not copyable; frees on
// destruction through the tracker it was created with.
class TrackedBuf {
 public:
  TrackedBuf() = default;
  TrackedBuf(Tracker& t, size_t n) : t_(&t), p_(static_cast<char*>(t.alloc(n))), cap_(n) {}
  ~TrackedBuf() { reset(); }
  TrackedBuf(TrackedBuf&& o) noexcept { swap(o); }
  TrackedBuf& operator=(TrackedBuf&& o) noexcept {
    if (this != &o) {
      reset();
      swap(o);
    }
    return *this;
  }
  TrackedBuf(const TrackedBuf&) = delete;
  TrackedBuf& operator=(const TrackedBuf&) = delete;

  void resize(Tracker& t, size_t n);  // allocates when empty
  void reset();
  // Hands ownership to another tracker (cross-thread hand-off); the bytes stay live.
  void rebind(Tracker& t) { t_ = &t; }
  char* data() const { return p_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return p_ == nullptr; }

 private:
  void swap(TrackedBuf& o) noexcept;
  Tracker* t_ = nullptr;
  char* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace apw
