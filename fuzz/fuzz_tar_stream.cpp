// libFuzzer target: the stream checks in memory (fast): the decoders plus
// the tar scanner, and the scanner alone fed in pieces of every size so
// header, pax-record and padding boundaries fall everywhere. Only
// allocpipe::Error may escape the code under test; anything else (another
// exception type, a sanitizer report) is a finding.
#include <algorithm>
#include <cstdint>

#include "archive_stream.h"
#include "error.h"
#include "fuzz_util.h"

using namespace allocpipe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  ++data;
  --size;
  const ExtractLimits limits = fuzz::small_limits();
  if (selector & 1) {
    MemorySource source(data, size);
    try {
      TarStream stream(source, limits);
      stream.finish();
    } catch (const Error&) {
    }
  } else {
    const std::size_t piece = (selector >> 1) + 1u;
    TarScanner scanner(limits);
    try {
      for (std::size_t pos = 0; pos < size; pos += piece) scanner.feed(data + pos, std::min(piece, size - pos));
      scanner.finish();
    } catch (const Error&) {
    }
  }
  return 0;
}
