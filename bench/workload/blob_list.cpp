#include "blob_list.h"

#include <utility>

namespace apw {

void BlobList::push(size_t n, uint32_t tag) {
  if (size_ == cap_) {
    const size_t new_cap = cap_ == 0 ? 16 : cap_ * 2;
    items_ = static_cast<Blob*>(
        items_ == nullptr ? t_.alloc(new_cap * sizeof(Blob))
                          : t_.resize(items_, cap_ * sizeof(Blob), new_cap * sizeof(Blob)));
    cap_ = new_cap;
  }
  items_[size_++] = Blob{static_cast<char*>(t_.alloc(n)), static_cast<uint32_t>(n), tag};
}

void BlobList::replace(size_t i, size_t n, uint32_t tag) {
  t_.release(items_[i].p, items_[i].n);
  items_[i] = Blob{static_cast<char*>(t_.alloc(n)), static_cast<uint32_t>(n), tag};
}

void BlobList::clear() {
  for (size_t i = 0; i < size_; ++i) t_.release(items_[i].p, items_[i].n);
  if (items_ != nullptr) t_.release(items_, cap_ * sizeof(Blob));
  items_ = nullptr;
  size_ = cap_ = 0;
}

void BlobList::swap(BlobList& o) {
  std::swap(items_, o.items_);
  std::swap(size_, o.size_);
  std::swap(cap_, o.cap_);
}

}  // namespace apw
