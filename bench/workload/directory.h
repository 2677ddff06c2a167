// Directory state of a relay (Tor 0.4.8: networkstatus, microdesc and
// routerlist caches): built at start-up, churned once per simulated hour.
#pragma once

#include <cstdint>

#include "blob_list.h"
#include "options.h"
#include "rng.h"
#include "tracked.h"

namespace apw {

class Directory {
 public:
  Directory(const Options& o, Tracker& t, uint64_t seed);
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // A new consensus arrives: parse it into fresh entries and drop the old
  // one; replace a share of microdescriptors; replace expired server
  // descriptors.
  void hourly_churn(int hour);

 private:
  void load_consensus();
  void add_server_desc(int hour, bool staggered);

  const Options& o_;
  Tracker& t_;
  Rng rng_;
  TrackedBuf consensus_body_;
  BlobList consensus_;
  BlobList md_structs_;
  BlobList md_bodies_;
  BlobList server_descs_;  // tag = expiry hour
};

}  // namespace apw
