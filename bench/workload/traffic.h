// Circuit and connection traffic on the main thread (Tor 0.4.8 relay.c,
// circuitmux, buffers, channeltls): circuits with Pareto lifetimes and FIFO
// queues of fixed-size cells, arrival bursts, queue-length and OOM drops,
// connection buffers grown with realloc and released when empty, TLS-like
// buffers allocated on activity and released when idle, connection churn.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "options.h"
#include "rng.h"
#include "tracked.h"

namespace apw {

struct TrafficStats {
  uint64_t cells_in = 0;
  uint64_t cells_out = 0;
  uint64_t cells_dropped = 0;
  uint64_t circuits_opened = 0;
  uint64_t circuits_killed = 0;
  uint64_t conns_opened = 0;
};

class Traffic {
 public:
  Traffic(const Options& o, Tracker& t, uint64_t seed);
  ~Traffic();
  Traffic(const Traffic&) = delete;
  Traffic& operator=(const Traffic&) = delete;

  // One main-loop tick at simulated time now_ms; intensity scales arrivals
  // and connection activity (1 busy, Options::quiet_traffic when quiet).
  void tick(int64_t now_ms, double intensity);
  const TrafficStats& stats() const { return stats_; }

 private:
  struct Cell {
    Cell* next;
  };
  struct Circuit {
    TrackedBuf body;
    TrackedBuf crypto[2];
    Cell* head = nullptr;
    Cell* tail = nullptr;
    uint32_t qlen = 0;
    uint32_t conn = 0;
    uint32_t gen = 0;
    bool active = false;
  };
  struct Buffer {
    TrackedBuf mem;
    size_t len = 0;
  };
  struct Conn {
    TrackedBuf body;
    TrackedBuf tls_object;
    Buffer in;
    Buffer out;
    TrackedBuf tls_read;
    TrackedBuf tls_write;
    uint32_t gen = 0;
    bool touched = false;  // activity this tick
    bool dirty = false;    // in dirty_ list
  };
  struct Expiry {
    int64_t at;
    uint32_t slot;
    uint32_t gen;
    bool operator>(const Expiry& o) const {
      return at != o.at ? at > o.at : (slot != o.slot ? slot > o.slot : gen > o.gen);
    }
  };
  using ExpiryQueue = std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>>;

  void open_circuit(uint32_t slot, int64_t now);
  void close_circuit(uint32_t slot);
  void kill_circuit(uint32_t slot, int64_t now);
  void open_conn(uint32_t slot, int64_t now);
  void close_conn(uint32_t slot);
  void expire(int64_t now);
  void arrivals(int64_t now, double intensity);
  void conn_activity(double intensity);
  void flush();
  void write_conns();
  void oom_check(int64_t now);
  void mark(uint32_t conn);
  // Appends up to n bytes; returns how many fitted (the buffer stops at the
  // largest connection-buffer size).
  size_t buffer_append(Buffer& b, size_t n);
  int64_t lifetime_ms(double xm_s, double alpha);

  const Options& o_;
  Tracker& t_;
  Rng rng_;
  std::vector<Circuit> circs_;
  std::vector<Conn> conns_;
  ExpiryQueue circ_expiry_;
  ExpiryQueue conn_expiry_;
  std::vector<uint32_t> active_;  // circuits with queued cells
  std::vector<uint32_t> dirty_;   // connections with buffers or TLS state
  double carry_ = 0;
  uint64_t queued_cells_ = 0;
  TrafficStats stats_;
};

}  // namespace apw
