#include "directory.h"

namespace apw {

namespace {
constexpr uint64_t kStreamDirectory = 1;
}

Directory::Directory(const Options& o, Tracker& t, uint64_t seed)
    : o_(o),
      t_(t),
      rng_(derive_seed(seed, kStreamDirectory)),
      consensus_(t),
      md_structs_(t),
      md_bodies_(t),
      server_descs_(t) {
  load_consensus();
  for (uint64_t i = 0; i < o_.microdescs; ++i) {
    md_structs_.push(o_.microdesc_bytes);
    md_bodies_.push(rng_.range(o_.microdesc_body_bytes.lo, o_.microdesc_body_bytes.hi));
  }
  for (uint64_t i = 0; i < o_.server_descs; ++i) add_server_desc(0, true);
}

void Directory::load_consensus() {
  // Download into a buffer that grows by doubling, parse into a new list,
  // then free the previous consensus (Tor keeps both while parsing).
  TrackedBuf body;
  const uint64_t want = o_.consensus_entries * o_.consensus_body_bytes_per_entry + 4096;
  for (uint64_t cap = 65536; ; cap *= 2) {
    body.resize(t_, cap < want ? cap : want);
    if (cap >= want) break;
  }
  BlobList fresh(t_);
  for (uint64_t i = 0; i < o_.consensus_entries; ++i) {
    fresh.push(rng_.range(o_.consensus_entry_bytes.lo, o_.consensus_entry_bytes.hi));
  }
  consensus_.swap(fresh);  // `fresh` now holds the old consensus and frees it
  consensus_body_ = std::move(body);
}

void Directory::add_server_desc(int hour, bool staggered) {
  const uint64_t life = rng_.range(o_.server_desc_life_hours.lo, o_.server_desc_life_hours.hi);
  const uint64_t expiry = hour + (staggered ? 1 + rng_.below(life) : life);
  server_descs_.push(rng_.range(o_.server_desc_bytes.lo, o_.server_desc_bytes.hi),
                     static_cast<uint32_t>(expiry));
}

void Directory::hourly_churn(int hour) {
  load_consensus();
  const uint64_t n_md = md_structs_.size();
  const auto replace_md = static_cast<uint64_t>(o_.microdesc_churn * static_cast<double>(n_md));
  for (uint64_t k = 0; k < replace_md && n_md > 0; ++k) {
    const size_t i = rng_.below(n_md);
    md_bodies_.replace(i, rng_.range(o_.microdesc_body_bytes.lo, o_.microdesc_body_bytes.hi));
    md_structs_.replace(i, o_.microdesc_bytes);
  }
  for (size_t i = 0; i < server_descs_.size(); ++i) {
    if (server_descs_[i].tag <= static_cast<uint32_t>(hour)) {
      const uint64_t life = rng_.range(o_.server_desc_life_hours.lo, o_.server_desc_life_hours.hi);
      server_descs_.replace(i, rng_.range(o_.server_desc_bytes.lo, o_.server_desc_bytes.hi),
                            static_cast<uint32_t>(hour + life));
    }
  }
}

}  // namespace apw
