// Streaming SHA-256 over OpenSSL EVP, wrapped once.
#pragma once
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include <openssl/evp.h>

namespace allocpipe {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::string hex_digest();  // finalises; the object cannot be updated afterwards

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

std::string sha256_file(const std::filesystem::path& file);

// True for exactly 64 lowercase hex digits: the only form recipes may use.
bool is_sha256_hex(const std::string& text);

}  // namespace allocpipe
