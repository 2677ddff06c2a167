// allocpipe-fetch: obtain one pinned source archive, verify it, and extract
// it into a fresh directory. Used by the superbuild for every allocator,
// which decides by the exit status alone (error.h, Status; cli_usage).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "error.h"
#include "extract.h"
#include "json.h"
#include "locate.h"
#include "pinned_files.h"

namespace fs = std::filesystem;
using namespace allocpipe;

namespace {

void write_record(const fs::path& record, const Located& located) {
  const fs::path temp = record.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << "{\n  \"file\": " << json_quote(located.file) << ",\n  \"sha256\": " << json_quote(located.sha256)
        << ",\n  \"source\": " << json_quote(located.canonical)
        << ",\n  \"obtained_from\": " << json_quote(located.obtained_from) << ",\n  \"earlier_failures\": [";
    for (std::size_t i = 0; i < located.earlier_failures.size(); ++i)
      out << (i ? ",\n    " : "\n    ") << json_quote(located.earlier_failures[i]);
    out << (located.earlier_failures.empty() ? "]" : "\n  ]") << "\n}\n";
    if (!out.flush()) throw Error("cannot write " + temp.string());
  }
  fs::rename(temp, record);
}

}  // namespace

int main(int argc, char** argv) {
  CliArgs args;
  try {
    args = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "allocpipe-fetch: " << e.what() << "\n" << cli_usage;
    return static_cast<int>(Status::usage);
  }
  if (args.help) {
    std::cout << cli_usage;
    return 0;
  }
  try {
    Reporter reporter = Reporter::for_stderr();
    const Cache cache(args.cache);
    const Located located = locate(args.spec, cache, args.options, reporter);
    if (!located.earlier_failures.empty())
      reporter.step(located.file + ": obtained from " + located.obtained_from + " after " +
                    std::to_string(located.earlier_failures.size()) + " failed place(s); see above");
    if (!args.dest.empty()) {
      reporter.step(located.file + ": verified sha256 " + located.sha256 + "; extracting to " + args.dest.string());
      // Hashed again while extracting: what lands in `dest` is what was verified.
      extract_archive(
          located.path, args.dest, args.extract_limits,
          [&](const fs::path& tree) { verify_pinned_files(tree, args.pins); }, located.sha256);
    }
    if (!args.record.empty()) write_record(args.record, located);
    return static_cast<int>(Status::ok);
  } catch (const Error& e) {
    std::cerr << "allocpipe-fetch: " << args.spec.file << ": " << e.what() << "\n";
    return static_cast<int>(e.status());
  } catch (const std::exception& e) {
    std::cerr << "allocpipe-fetch: " << args.spec.file << ": " << e.what() << "\n";
    return static_cast<int>(Status::failed);
  }
}
