#include "sha256.h"

#include <gtest/gtest.h>

#include <fstream>

#include "error.h"
#include "temp_dir.h"

using namespace allocpipe;

TEST(Sha256, KnownVectors) {
  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("a", 1);
  abc.update("bc", 2);  // streaming in pieces gives the same digest
  EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FileMatchesStreaming) {
  test::TempDir dir;
  std::ofstream(dir / "f", std::ios::binary) << "abc";
  EXPECT_EQ(sha256_file(dir / "f"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(sha256_file(dir / "missing"), Error);
}

TEST(Sha256, HexFormIsStrict) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));  // recipes use lowercase only
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
}
