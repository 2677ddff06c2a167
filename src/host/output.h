// Progress on a terminal (one line rewritten in place), one line per step
// otherwise (journald, Ansible, CI logs). Errors go to stderr.
#pragma once
#include <string>

namespace allocpipe::host {

class Reporter {
 public:
  explicit Reporter(bool quiet);
  ~Reporter();
  void step(const std::string& line);      // a finished step: always one line (unless quiet)
  void progress(const std::string& line);  // transient, on a terminal only
  void result(const std::string& text);    // the command's result (stdout, even when quiet)
  void warn(const std::string& line);      // stderr, prefixed "allocpipe-host: warning: "

 private:
  void clear_progress();
  bool quiet_, tty_;
  bool progress_shown_ = false;
};

}  // namespace allocpipe::host
