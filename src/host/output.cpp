#include "output.h"

#include <unistd.h>

#include <cstdio>

namespace allocpipe::host {

Reporter::Reporter(bool quiet) : quiet_(quiet), tty_(::isatty(1) == 1) {}
Reporter::~Reporter() { clear_progress(); }

void Reporter::clear_progress() {
  if (progress_shown_) {
    std::fputs("\r\033[K", stdout);
    std::fflush(stdout);
    progress_shown_ = false;
  }
}

void Reporter::step(const std::string& line) {
  clear_progress();
  if (quiet_) return;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void Reporter::progress(const std::string& line) {
  if (!tty_ || quiet_) return;
  std::printf("\r\033[K%s", line.c_str());
  std::fflush(stdout);
  progress_shown_ = true;
}

void Reporter::result(const std::string& text) {
  clear_progress();
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

void Reporter::warn(const std::string& line) {
  clear_progress();
  std::fflush(stdout);
  std::fprintf(stderr, "allocpipe-host: warning: %s\n", line.c_str());
}

}  // namespace allocpipe::host
