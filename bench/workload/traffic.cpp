#include "traffic.h"

#include <algorithm>
#include <cstring>

namespace apw {

namespace {
constexpr uint64_t kStreamTraffic = 2;
constexpr uint64_t kCellPayload = 514;  // wire size of a cell
constexpr int64_t kMaxLifetimeMs = 48LL * 3600 * 1000;
constexpr uint32_t kHeavyEvery = 10;  // every 10th circuit slot carries bulk traffic
}  // namespace

Traffic::Traffic(const Options& o, Tracker& t, uint64_t seed)
    : o_(o), t_(t), rng_(derive_seed(seed, kStreamTraffic)), circs_(o.circuits), conns_(o.connections) {
  for (uint32_t i = 0; i < conns_.size(); ++i) open_conn(i, 0);
  for (uint32_t i = 0; i < circs_.size(); ++i) open_circuit(i, 0);
}

Traffic::~Traffic() {
  for (uint32_t i = 0; i < circs_.size(); ++i) close_circuit(i);
  // TrackedBuf members free the rest.
}

int64_t Traffic::lifetime_ms(double xm_s, double alpha) {
  const double ms = rng_.pareto(xm_s, alpha) * 1000.0;
  return ms > static_cast<double>(kMaxLifetimeMs) ? kMaxLifetimeMs : static_cast<int64_t>(ms);
}

void Traffic::open_circuit(uint32_t slot, int64_t now) {
  Circuit& c = circs_[slot];
  c.body = TrackedBuf(t_, rng_.range(o_.circuit_bytes.lo, o_.circuit_bytes.hi));
  for (auto& k : c.crypto) k = TrackedBuf(t_, rng_.range(o_.circuit_crypto_bytes.lo, o_.circuit_crypto_bytes.hi));
  c.conn = static_cast<uint32_t>(rng_.below(conns_.size()));
  ++c.gen;
  circ_expiry_.push(Expiry{now + lifetime_ms(o_.circuit_life_min_s, o_.circuit_life_alpha), slot, c.gen});
  ++stats_.circuits_opened;
}

void Traffic::close_circuit(uint32_t slot) {
  Circuit& c = circs_[slot];
  while (c.head != nullptr) {
    Cell* next = c.head->next;
    t_.release(c.head, o_.cell_bytes);
    c.head = next;
  }
  c.tail = nullptr;
  queued_cells_ -= c.qlen;
  stats_.cells_dropped += c.qlen;
  c.qlen = 0;
  c.body.reset();
  for (auto& k : c.crypto) k.reset();
}

void Traffic::kill_circuit(uint32_t slot, int64_t now) {
  close_circuit(slot);
  open_circuit(slot, now);  // the population stays constant; the old expiry goes stale
  ++stats_.circuits_killed;
}

void Traffic::open_conn(uint32_t slot, int64_t now) {
  Conn& c = conns_[slot];
  c.body = TrackedBuf(t_, rng_.range(o_.conn_bytes.lo, o_.conn_bytes.hi));
  c.tls_object = TrackedBuf(t_, rng_.range(o_.tls_object_bytes.lo, o_.tls_object_bytes.hi));
  ++c.gen;
  conn_expiry_.push(Expiry{now + lifetime_ms(o_.conn_life_min_s, o_.conn_life_alpha), slot, c.gen});
  ++stats_.conns_opened;
}

void Traffic::close_conn(uint32_t slot) {
  Conn& c = conns_[slot];
  c.in.mem.reset();
  c.in.len = 0;
  c.out.mem.reset();
  c.out.len = 0;
  c.tls_read.reset();
  c.tls_write.reset();
  c.tls_object.reset();
  c.body.reset();
}

void Traffic::expire(int64_t now) {
  while (!circ_expiry_.empty() && circ_expiry_.top().at <= now) {
    const Expiry e = circ_expiry_.top();
    circ_expiry_.pop();
    if (circs_[e.slot].gen != e.gen) continue;  // killed earlier
    close_circuit(e.slot);
    open_circuit(e.slot, now);
  }
  while (!conn_expiry_.empty() && conn_expiry_.top().at <= now) {
    const Expiry e = conn_expiry_.top();
    conn_expiry_.pop();
    if (conns_[e.slot].gen != e.gen) continue;
    close_conn(e.slot);
    open_conn(e.slot, now);
  }
}

void Traffic::mark(uint32_t conn) {
  Conn& c = conns_[conn];
  c.touched = true;
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(conn);
  }
  if (c.tls_read.empty()) {
    c.tls_read = TrackedBuf(t_, rng_.range(o_.tls_buf_bytes.lo, o_.tls_buf_bytes.hi));
    c.tls_write = TrackedBuf(t_, rng_.range(o_.tls_buf_bytes.lo, o_.tls_buf_bytes.hi));
  }
}

size_t Traffic::buffer_append(Buffer& b, size_t n) {
  const size_t max = o_.conn_buf_bytes.hi;
  const size_t room = b.len >= max ? 0 : max - b.len;
  n = std::min(n, room);
  if (n == 0) return 0;
  const size_t need = b.len + n;
  size_t cap = b.mem.capacity();
  if (cap < need) {
    if (cap == 0) {
      cap = rng_.chance(o_.conn_buf_4k_share) ? 4096 : rng_.log_uniform(o_.conn_buf_bytes.lo, max);
    }
    while (cap < need) cap = std::min(max, cap * 2);
    b.mem.resize(t_, cap);
  }
  std::memset(b.mem.data() + b.len, static_cast<int>(n & 0xff), n);
  b.len = need;
  return n;
}

void Traffic::arrivals(int64_t now, double intensity) {
  carry_ += o_.cells_per_s * (o_.tick_ms / 1000.0) * intensity;
  const uint64_t heavy_slots = std::max<uint64_t>(1, circs_.size() / kHeavyEvery);
  while (carry_ >= 1.0) {
    const bool heavy = rng_.chance(o_.heavy_share);
    const uint32_t slot = heavy ? static_cast<uint32_t>(rng_.below(heavy_slots) * kHeavyEvery % circs_.size())
                                : static_cast<uint32_t>(rng_.below(circs_.size()));
    const double raw = heavy ? rng_.pareto(1.0, 1.1) : rng_.pareto(1.0, 2.0);
    uint64_t burst = std::min<uint64_t>(heavy ? o_.cell_burst_max : 8, static_cast<uint64_t>(raw));
    burst = std::max<uint64_t>(1, std::min<uint64_t>(burst, static_cast<uint64_t>(carry_)));
    carry_ -= static_cast<double>(burst);

    Circuit& c = circs_[slot];
    buffer_append(conns_[c.conn].in, burst * kCellPayload);  // read from the wire
    mark(c.conn);
    for (uint64_t k = 0; k < burst; ++k) {
      auto* cell = static_cast<Cell*>(t_.alloc(o_.cell_bytes));
      cell->next = nullptr;
      if (c.tail != nullptr) c.tail->next = cell; else c.head = cell;
      c.tail = cell;
      ++c.qlen;
    }
    queued_cells_ += burst;
    stats_.cells_in += burst;
    if (!c.active) {
      c.active = true;
      active_.push_back(slot);
    }
    if (c.qlen > o_.circuit_queue_max) kill_circuit(slot, now);
  }
}

void Traffic::flush() {
  size_t keep = 0;
  for (size_t i = 0; i < active_.size(); ++i) {
    const uint32_t slot = active_[i];
    Circuit& c = circs_[slot];
    Buffer& out = conns_[c.conn].out;
    for (uint64_t k = 0; k < o_.flush_cells_per_circuit_tick && c.head != nullptr; ++k) {
      if (buffer_append(out, kCellPayload) == 0) break;  // connection is full: back-pressure
      Cell* cell = c.head;
      c.head = cell->next;
      if (c.head == nullptr) c.tail = nullptr;
      t_.release(cell, o_.cell_bytes);
      --c.qlen;
      --queued_cells_;
      ++stats_.cells_out;
    }
    if (c.qlen > 0) {
      mark(c.conn);
      active_[keep++] = slot;
    } else {
      c.active = false;
    }
  }
  active_.resize(keep);
}

void Traffic::conn_activity(double intensity) {
  // Directory requests, handshakes, keepalives: connections that do TLS work
  // without circuit cells.
  const auto n = static_cast<uint64_t>(o_.conn_active_per_tick * intensity * static_cast<double>(conns_.size()));
  for (uint64_t k = 0; k < n; ++k) {
    const auto slot = static_cast<uint32_t>(rng_.below(conns_.size()));
    buffer_append(conns_[slot].in, rng_.log_uniform(256, 16384));
    mark(slot);
  }
}

void Traffic::write_conns() {
  size_t keep = 0;
  for (size_t i = 0; i < dirty_.size(); ++i) {
    const uint32_t slot = dirty_[i];
    Conn& c = conns_[slot];
    c.in.len = 0;  // everything read was processed this tick
    c.in.mem.reset();
    c.out.len -= std::min<size_t>(c.out.len, o_.conn_write_bytes_per_tick);
    if (c.out.len == 0) c.out.mem.reset();  // empty buffers give their memory back
    if (!c.touched) {                        // idle: SSL_MODE_RELEASE_BUFFERS
      c.tls_read.reset();
      c.tls_write.reset();
    }
    c.touched = false;
    if (c.out.len > 0 || !c.tls_read.empty()) {
      dirty_[keep++] = slot;
    } else {
      c.dirty = false;
    }
  }
  dirty_.resize(keep);
}

void Traffic::oom_check(int64_t now) {
  const uint64_t limit = o_.max_mem_in_queues_mb << 20;
  if (queued_cells_ * o_.cell_bytes <= limit) return;
  // Like Tor's OOM handler: kill the circuits with the most queued cells
  // until the total is well under the limit.
  std::vector<uint32_t> victims(active_);
  std::sort(victims.begin(), victims.end(), [this](uint32_t a, uint32_t b) {
    return circs_[a].qlen != circs_[b].qlen ? circs_[a].qlen > circs_[b].qlen : a < b;
  });
  for (const uint32_t slot : victims) {
    if (queued_cells_ * o_.cell_bytes <= limit * 3 / 4) break;
    kill_circuit(slot, now);
  }
}

void Traffic::tick(int64_t now_ms, double intensity) {
  expire(now_ms);
  arrivals(now_ms, intensity);
  conn_activity(intensity);
  oom_check(now_ms);
  flush();
  write_conns();
}

}  // namespace apw
