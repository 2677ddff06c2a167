#include "build_status.h"

#include <fstream>
#include <stdexcept>

namespace apq {

BuildStatus read_build_status(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("no build status " + file +
                             " (expected BUILT or NOT BUILT: the build failed or never ran)");
  }
  std::string line;
  std::getline(in, line);
  BuildStatus s;
  if (line.rfind("BUILT:", 0) == 0) {
    s.built = true;
  } else if (line.rfind("NOT BUILT:", 0) == 0) {
    const auto text = line.find_first_not_of(' ', 10);
    s.reason = text == std::string::npos ? "(no reason given)" : line.substr(text);
  } else {
    throw std::runtime_error(file + " says '" + line + "', expected BUILT or NOT BUILT (the build failed)");
  }
  return s;
}

}  // namespace apq
