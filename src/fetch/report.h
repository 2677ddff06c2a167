// Progress for people and logs: a redrawn bar on a terminal, one line per
// step otherwise (CI logs must stay readable).
#pragma once
#include <cstdint>
#include <string>

namespace allocpipe {

class Reporter {
 public:
  explicit Reporter(bool interactive);
  static Reporter for_stderr();  // interactive when stderr is a terminal

  void step(const std::string& message);
  void progress(const std::string& label, std::int64_t done, std::int64_t total);
  void finish_progress();

 private:
  bool interactive_;
  bool bar_shown_ = false;
};

}  // namespace allocpipe
