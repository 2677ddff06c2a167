#include "report.h"

#include <unistd.h>

#include <cstdio>

namespace allocpipe {

Reporter::Reporter(bool interactive) : interactive_(interactive) {}

Reporter Reporter::for_stderr() { return Reporter(isatty(STDERR_FILENO) == 1); }

void Reporter::step(const std::string& message) {
  finish_progress();
  std::fprintf(stderr, "allocpipe-fetch: %s\n", message.c_str());
}

void Reporter::progress(const std::string& label, std::int64_t done, std::int64_t total) {
  if (!interactive_) return;
  constexpr int width = 30;
  int filled = total > 0 ? static_cast<int>(width * done / total) : 0;
  if (filled > width) filled = width;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r  %s [%s] %lld KiB", label.c_str(), bar.c_str(),
               static_cast<long long>(done / 1024));
  if (total > 0) std::fprintf(stderr, " / %lld KiB", static_cast<long long>(total / 1024));
  std::fflush(stderr);
  bar_shown_ = true;
}

void Reporter::finish_progress() {
  if (bar_shown_) std::fputc('\n', stderr);
  bar_shown_ = false;
}

}  // namespace allocpipe
