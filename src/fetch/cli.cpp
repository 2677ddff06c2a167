#include "cli.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "sha256.h"

namespace allocpipe {

const char* const cli_usage =
    "usage: allocpipe-fetch --cache DIR --file NAME --sha256 HEX --url URL [--dest DIR]\n"
    "         [--mirror URL|DIR]... [--offline]\n"
    "         [--debian PKG=VERSION --debian-file NAME --debian-sha256 HEX] [--debian-mode auto|on|off]\n"
    "         [--pin PATH=HEX]... [--record FILE]\n"
    "  download limits:\n"
    "         [--attempts N] [--retry-delay-ms MS] [--connect-timeout S] [--max-time S]\n"
    "         [--low-speed-limit BYTES] [--low-speed-time S] [--max-redirects N] [--max-bytes N]\n"
    "  extraction limits:\n"
    "         [--max-extract-bytes N] [--max-entries N] [--max-ratio N] [--ratio-grace-bytes N]\n"
    "         [--max-header-bytes N] [--max-depth N]\n"
    "Without --dest the source is only brought into the cache.\n"
    "Exit status:\n"
    "  0  fetched and verified (and extracted, with --dest)\n"
    "  1  other failure: extraction refused, I/O, the cache, a missing pinned file\n"
    "  2  usage: bad flags or recipe-derived arguments\n"
    "  3  no place serves the source (every place: not found, unreachable or skipped)\n"
    "  4  a place served wrong bytes (a SHA-256 mismatch of the source, the Debian\n"
    "     alternate or a pinned file): a supply-chain alarm, never to be skipped\n";

namespace {

std::string plain_file_name(const std::string& flag, const std::string& value) {
  if (value.empty() || value.find('/') != std::string::npos || value == "." || value == ".." ||
      value.find('\0') != std::string::npos)
    throw UsageError(flag + " '" + value + "': expected a plain file name");
  return value;
}

std::string sha256_arg(const std::string& flag, const std::string& value) {
  if (!is_sha256_hex(value)) throw UsageError(flag + " '" + value + "': expected 64 lowercase hex digits");
  return value;
}

// A whole number in [min, max]; no sign, no spaces, no suffix.
std::int64_t number_arg(const std::string& flag, const std::string& value, std::int64_t min, std::int64_t max) {
  bool digits = !value.empty() && value.size() <= 19;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  errno = 0;
  const long long n = digits ? std::strtoll(value.c_str(), nullptr, 10) : -1;
  if (!digits || errno == ERANGE || n < min || n > max)
    throw UsageError(flag + " '" + value + "': expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  return n;
}

constexpr std::int64_t big = std::int64_t{1} << 50;

// Debian policy 5.6.1 / 5.6.12: these strings end up as an apt-get argument
// (run as root when packaging), so nothing that could read as an option.
bool debian_package_name(const std::string& s) {
  if (s.size() < 2 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
  return true;
}
bool debian_version(const std::string& s) {
  if (s.empty() || !(s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '+' ||
          c == '~' || c == '-' || c == ':'))
      return false;
  return true;
}

}  // namespace

CliArgs parse_cli(const std::vector<std::string>& argv) {
  CliArgs args;
  std::string debian_spec, debian_file, debian_sha;
  DownloadLimits& net = args.options.limits;
  ExtractLimits& ex = args.extract_limits;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argv.size()) throw UsageError(flag + ": expected a value");
      return argv[++i];
    };
    auto number = [&](std::int64_t min, std::int64_t max) { return number_arg(flag, value(), min, max); };
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
      const std::string text = value();
      try {
        args.pins.push_back(parse_pinned_file(text));
      } catch (const Error& e) {
        throw UsageError(std::string("--pin ") + e.what());
      }
    }
    else if (flag == "--attempts") net.attempts = static_cast<int>(number(1, 20));
    else if (flag == "--retry-delay-ms") net.retry_delay_ms = static_cast<long>(number(0, 60000));
    else if (flag == "--connect-timeout") net.connect_timeout_s = static_cast<long>(number(1, 3600));
    else if (flag == "--max-time") net.max_time_s = static_cast<long>(number(1, 86400));
    else if (flag == "--low-speed-limit") net.low_speed_bytes = static_cast<long>(number(1, big));
    else if (flag == "--low-speed-time") net.low_speed_time_s = static_cast<long>(number(1, 3600));
    else if (flag == "--max-redirects") net.max_redirects = static_cast<long>(number(0, 50));
    else if (flag == "--max-bytes") net.max_bytes = number(1, big);
    else if (flag == "--max-extract-bytes") ex.max_total_bytes = static_cast<std::uint64_t>(number(1, big));
    else if (flag == "--max-entries") ex.max_entries = static_cast<std::uint64_t>(number(1, big));
    else if (flag == "--max-ratio") ex.max_ratio = static_cast<std::uint64_t>(number(1, big));
    else if (flag == "--ratio-grace-bytes") ex.ratio_grace_bytes = static_cast<std::uint64_t>(number(0, big));
    else if (flag == "--max-header-bytes") ex.max_header_bytes = static_cast<std::uint64_t>(number(512, 1 << 20));
    else if (flag == "--max-depth") ex.max_depth = static_cast<std::uint64_t>(number(1, 65536));
    else if (flag == "--help" || flag == "-h") args.help = true;
    else throw UsageError("unknown argument '" + flag + "'");
  }
  if (args.help) return args;
  if (args.cache.empty()) throw UsageError("--cache is required");
  if (args.spec.file.empty() || args.spec.sha256.empty() || args.spec.url.empty())
    throw UsageError("--file, --sha256 and --url are required");
  if (!debian_spec.empty() || !debian_file.empty() || !debian_sha.empty()) {
    const auto eq = debian_spec.find('=');
    if (eq == std::string::npos || !debian_package_name(debian_spec.substr(0, eq)) ||
        !debian_version(debian_spec.substr(eq + 1)))
      throw UsageError("--debian '" + debian_spec + "': expected PACKAGE=VERSION (a Debian package name and version)");
    if (debian_file.empty() || debian_sha.empty())
      throw UsageError("--debian needs --debian-file and --debian-sha256");
    args.spec.debian = DebianSource{debian_spec.substr(0, eq), debian_spec.substr(eq + 1), debian_file, debian_sha};
  }
  if (args.options.debian_mode == DebianMode::on && !args.spec.debian)
    throw UsageError("--debian-mode on needs --debian");
  return args;
}

}  // namespace allocpipe
