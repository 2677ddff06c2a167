// A list of tracked blobs whose backing array grows with realloc, like Tor's
// smartlist_t (capacity doubles from 16).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tracked.h"

namespace apw {

struct Blob {
  char* p = nullptr;
  uint32_t n = 0;
  uint32_t tag = 0;  // free for the owner (e.g. expiry hour)
};

class BlobList {
 public:
  explicit BlobList(Tracker& t) : t_(t) {}
  ~BlobList() { clear(); }
  BlobList(const BlobList&) = delete;
  BlobList& operator=(const BlobList&) = delete;

  void push(size_t n, uint32_t tag = 0);
  // Replaces blob i with a new allocation of n bytes.
  void replace(size_t i, size_t n, uint32_t tag = 0);
  void clear();  // frees every blob and the array
  void swap(BlobList& o);
  size_t size() const { return size_; }
  const Blob& operator[](size_t i) const { return items_[i]; }

 private:
  Tracker& t_;
  Blob* items_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace apw
