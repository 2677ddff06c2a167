// allocpipe-fetch: obtain one pinned source archive, verify it, and extract
// it into a fresh directory. Used by the superbuild for every allocator.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "error.h"
#include "extract.h"
#include "json.h"
#include "locate.h"
#include "pinned_files.h"
#include "sha256.h"

namespace fs = std::filesystem;
using namespace allocpipe;

namespace {

constexpr const char* usage =
    "usage: allocpipe-fetch --cache DIR --file NAME --sha256 HEX --url URL [--dest DIR]\n"
    "         [--mirror URL|DIR]... [--offline]\n"
    "         [--debian PKG=VERSION --debian-file NAME --debian-sha256 HEX] [--debian-mode auto|on|off]\n"
    "         [--pin PATH=HEX]... [--record FILE]\n"
    "         [--attempts N] [--connect-timeout S] [--max-time S] [--max-bytes N]\n"
    "Without --dest the source is only brought into the cache.\n";

struct UsageError : Error {
  using Error::Error;
};

struct Args {
  fs::path cache, dest, record;
  SourceSpec spec;
  LocateOptions options;
  std::vector<PinnedFile> pins;
};

std::string plain_file_name(const std::string& flag, const std::string& value) {
  if (value.empty() || value.find('/') != std::string::npos || value == "." || value == "..")
    throw UsageError(flag + " '" + value + "': expected a plain file name");
  return value;
}

std::string sha256_arg(const std::string& flag, const std::string& value) {
  if (!is_sha256_hex(value)) throw UsageError(flag + " '" + value + "': expected 64 lowercase hex digits");
  return value;
}

long number_arg(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n <= 0) throw UsageError(flag + " '" + value + "': expected a positive whole number");
  return n;
}

Args parse(int argc, char** argv) {
  Args args;
  std::string debian_spec, debian_file, debian_sha;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(flag + ": expected a value");
      return argv[++i];
    };
    if (flag == "--cache") args.cache = value();
    else if (flag == "--dest") args.dest = value();
    else if (flag == "--record") args.record = value();
    else if (flag == "--file") args.spec.file = plain_file_name(flag, value());
    else if (flag == "--sha256") args.spec.sha256 = sha256_arg(flag, value());
    else if (flag == "--url") args.spec.url = value();
    else if (flag == "--mirror") args.options.mirrors.push_back(value());
    else if (flag == "--offline") args.options.offline = true;
    else if (flag == "--debian") debian_spec = value();
    else if (flag == "--debian-file") debian_file = plain_file_name(flag, value());
    else if (flag == "--debian-sha256") debian_sha = sha256_arg(flag, value());
    else if (flag == "--debian-mode") {
      const std::string mode = value();
      if (mode == "auto") args.options.debian_mode = DebianMode::automatic;
      else if (mode == "on") args.options.debian_mode = DebianMode::on;
      else if (mode == "off") args.options.debian_mode = DebianMode::off;
      else throw UsageError("--debian-mode '" + mode + "': expected auto, on or off");
    } else if (flag == "--pin") {
      try {
        args.pins.push_back(parse_pinned_file(value()));
      } catch (const UsageError&) {
        throw;
      } catch (const Error& e) {
        throw UsageError(std::string("--pin ") + e.what());
      }
    }
    else if (flag == "--attempts") args.options.limits.attempts = static_cast<int>(number_arg(flag, value()));
    else if (flag == "--connect-timeout") args.options.limits.connect_timeout_s = number_arg(flag, value());
    else if (flag == "--max-time") args.options.limits.max_time_s = number_arg(flag, value());
    else if (flag == "--max-bytes") args.options.limits.max_bytes = number_arg(flag, value());
    else if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      std::exit(0);
    } else throw UsageError("unknown argument '" + flag + "'");
  }
  if (args.cache.empty()) throw UsageError("--cache is required");
  if (args.spec.file.empty() || args.spec.sha256.empty() || args.spec.url.empty())
    throw UsageError("--file, --sha256 and --url are required");
  if (!debian_spec.empty() || !debian_file.empty() || !debian_sha.empty()) {
    const auto eq = debian_spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == debian_spec.size())
      throw UsageError("--debian '" + debian_spec + "': expected PACKAGE=VERSION");
    if (debian_file.empty() || debian_sha.empty())
      throw UsageError("--debian needs --debian-file and --debian-sha256");
    args.spec.debian = DebianSource{debian_spec.substr(0, eq), debian_spec.substr(eq + 1), debian_file, debian_sha};
  }
  if (args.options.debian_mode == DebianMode::on && !args.spec.debian)
    throw UsageError("--debian-mode on needs --debian");
  return args;
}

void write_record(const fs::path& record, const Located& located) {
  const fs::path temp = record.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << "{\n  \"file\": " << json_quote(located.file) << ",\n  \"sha256\": " << json_quote(located.sha256)
        << ",\n  \"source\": " << json_quote(located.canonical)
        << ",\n  \"obtained_from\": " << json_quote(located.obtained_from) << "\n}\n";
    if (!out.flush()) throw Error("cannot write " + temp.string());
  }
  fs::rename(temp, record);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const Error& e) {
    std::cerr << "allocpipe-fetch: " << e.what() << "\n" << usage;
    return 2;
  }
  try {
    Reporter reporter = Reporter::for_stderr();
    const Cache cache(args.cache);
    const Located located = locate(args.spec, cache, args.options, reporter);
    if (!args.dest.empty()) {
      reporter.step(located.file + ": verified sha256 " + located.sha256 + "; extracting to " + args.dest.string());
      extract_archive(located.path, args.dest, ExtractLimits{},
                      [&](const fs::path& tree) { verify_pinned_files(tree, args.pins); });
    }
    if (!args.record.empty()) write_record(args.record, located);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "allocpipe-fetch: " << args.spec.file << ": " << e.what() << "\n";
    return 1;
  }
}
