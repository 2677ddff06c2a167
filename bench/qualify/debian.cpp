#include "debian.h"

#include <fcntl.h>
#include <gnu/libc-version.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "child.h"
#include "family.h"
#include "fsutil.h"

namespace apq {
namespace fs = std::filesystem;

namespace {

// Suites a Debian arm may come from: Debian 12, 13 and unstable.
const char* const kSuites = "bookworm trixie sid";
const char* const kKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
// Lists older than this are refreshed; a version missing from them always is.
constexpr double kListsMaxAgeS = 24 * 3600;

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> w;
  std::string x;
  while (in >> x) w.push_back(x);
  return w;
}

std::string find_in_path(const std::string& tool) {
  if (tool.find('/') != std::string::npos) return tool;
  const char* path = std::getenv("PATH");
  std::istringstream in(path != nullptr && *path != '\0' ? path : "/usr/bin:/bin:/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(in, dir, ':')) {
    const std::string p = (dir.empty() ? "." : dir) + "/" + tool;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  throw std::runtime_error(tool + ": not found in PATH (Debian packages apt, dpkg, binutils)");
}

struct ToolRun {
  ExitInfo exit;
  std::string out;
  std::string log;  // where stderr went
};

// Runs a tool to completion, stdout captured, stderr into log_path.
ToolRun run_tool(std::vector<std::string> argv, const std::string& preload, const EnvList& env,
                 const std::string& log_path) {
  argv[0] = find_in_path(argv[0]);
  ToolRun r;
  r.log = log_path;
  Child child(argv, preload, env, log_path);
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(child.stdout_fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  child.close_stdout();
  r.exit = child.wait();
  return r;
}

std::string log_excerpt(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception&) {
    return "";
  }
  if (text.size() > 600) text = text.substr(0, 600) + "...";
  for (char& c : text) c = c == '\n' ? ' ' : c;
  return trim(text);
}

struct FileLock {
  explicit FileLock(const std::string& path) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open lock " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) throw std::runtime_error("cannot lock " + path + ": " + std::strerror(errno));
    }
  }
  ~FileLock() { ::close(fd); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  int fd = -1;
};

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("EVP sha256 init");
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x == '/') {
    return std::string(x) + "/allocpipe/downloads";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home != '/') throw std::runtime_error("no HOME for the download cache; give --download-cache");
  return std::string(home) + "/.cache/allocpipe/downloads";
}

std::string machine_archive_uri() {
  std::vector<std::string> files;
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/etc/apt/sources.list.d", ec)) {
    if (e.path().extension() == ".sources") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());  // the shell glob's order
  for (const auto& p : paths) files.push_back(read_file(p.string()));
  const std::string list = file_exists("/etc/apt/sources.list") ? read_file("/etc/apt/sources.list") : "";
  const std::string uri = archive_uri(files, list);
  if (uri.empty()) {
    throw std::runtime_error("no 'deb ... bookworm' entry in /etc/apt/sources.list{,.d}: cannot derive the archive "
                             "URI for Debian arms (scripts/setup-debian.sh derives it the same way)");
  }
  return uri;
}

// The private apt: configuration, sources, state and cache under <cache>/debian-apt.
class PrivateApt {
 public:
  PrivateApt(const std::string& cache_dir, const std::string& log_dir) : log_dir_(log_dir) {
    root_ = cache_dir + "/debian-apt";
    for (const char* d : {"", "/state/lists/partial", "/cache/archives/partial", "/etc/sources.list.d",
                          "/etc/preferences.d", "/etc/trusted.gpg.d"}) {
      make_dirs(root_ + d);
    }
    uri_ = machine_archive_uri();
    const std::string sources = "Types: deb\nURIs: " + uri_ + "\nSuites: " + kSuites +
                                "\nComponents: main\nSigned-By: " + kKeyring + "\n";
    write_if_changed(root_ + "/etc/allocpipe.sources", sources);
    if (!file_exists(root_ + "/state/status")) write_file_atomic(root_ + "/state/status", "");
    conf_ = root_ + "/apt.conf";
    write_if_changed(conf_,
                     "Dir::State \"" + root_ + "/state\";\n"
                     "Dir::State::status \"" + root_ + "/state/status\";\n"
                     "Dir::Cache \"" + root_ + "/cache\";\n"
                     "Dir::Etc::sourcelist \"" + root_ + "/etc/allocpipe.sources\";\n"
                     "Dir::Etc::sourceparts \"" + root_ + "/etc/sources.list.d\";\n"
                     "Dir::Etc::preferences \"" + root_ + "/etc/preferences\";\n"
                     "Dir::Etc::preferencesparts \"" + root_ + "/etc/preferences.d\";\n"
                     "Dir::Etc::trusted \"" + kKeyring + "\";\n"
                     "Dir::Etc::trustedparts \"" + root_ + "/etc/trusted.gpg.d\";\n"
                     "Acquire::Languages \"none\";\n"
                     "APT::Update::Post-Invoke-Success \"\";\n"
                     "#clear APT::Update::Post-Invoke-Success;\n");
    lock_ = std::make_unique<FileLock>(root_ + "/lock");
  }

  const std::string& uri() const { return uri_; }
  const std::string& conf() const { return conf_; }

  ToolRun apt(const std::string& tool, const std::vector<std::string>& args, const std::string& log_name) {
    std::vector<std::string> argv{tool, "-c", conf_, "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_tool(argv, "", {}, log_dir_ + "/" + log_name);
  }

  // apt-get update when the lists are missing, stale, or lack `want`.
  void ensure_lists(const std::string& package, const std::string& want_version) {
    bool need = updated_ || !fresh_lists();
    if (!need && !want_version.empty() && want_version != "newest") {
      need = !apt("apt-cache", {"show", package + "=" + want_version}, "apt-cache-show.log").exit.exited_ok();
    }
    if (!need || updated_) return;
    const ToolRun r = apt("apt-get", {"update"}, "apt-get-update.log");
    if (!r.exit.exited_ok()) {
      throw std::runtime_error("apt-get update (private configuration " + conf_ + ") " + r.exit.describe() + ": " +
                               log_excerpt(r.log));
    }
    write_file_atomic(root_ + "/lists.stamp", std::to_string(std::time(nullptr)) + "\n");
    updated_ = true;
  }

 private:
  static void write_if_changed(const std::string& path, const std::string& text) {
    if (file_exists(path) && read_file(path) == text) return;
    write_file_atomic(path, text);
  }
  bool fresh_lists() const {
    if (!file_exists(root_ + "/lists.stamp")) return false;
    const double t = std::strtod(read_file(root_ + "/lists.stamp").c_str(), nullptr);
    return std::difftime(std::time(nullptr), static_cast<std::time_t>(t)) < kListsMaxAgeS;
  }

  std::string root_, conf_, uri_, log_dir_;
  std::unique_ptr<FileLock> lock_;  // one private apt user at a time
  bool updated_ = false;
};

}  // namespace

std::string fetch_deb(const std::string& apt_conf, const std::string& cache, const std::string& spec,
                      const std::string& sha, std::vector<std::string>& facts) {
  for (const char* d : {"/sha256", "/tmp", "/locks", "/quarantine"}) make_dirs(cache + d);
  const std::string path = cache + "/sha256/" + sha;
  FileLock lock(cache + "/locks/" + sha + ".lock");
  if (file_exists(path)) {
    const std::string have = sha256_file(path);
    if (have == sha) {
      facts.push_back("`.deb` from the download cache (`sha256/" + sha.substr(0, 12) +
                      "…`), re-hashed: SHA-256 matches the Packages entry");
      return path;
    }
    const std::string q = cache + "/quarantine/" + sha + "." + std::to_string(std::time(nullptr));
    fs::rename(path, q);
    facts.push_back("cached copy hashed to " + have + ", moved to " + q);
  }
  std::string tmpl = cache + "/tmp/deb.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  const std::string dir = tmpl;
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  // apt downloads as its sandbox user when run as root.
  if (::geteuid() == 0) {
    if (const passwd* pw = ::getpwnam("_apt")) {
      if (::chown(dir.c_str(), pw->pw_uid, 0) != 0) {
        throw std::runtime_error("chown _apt " + dir + ": " + std::strerror(errno));
      }
    }
  }
  const ToolRun r = run_tool({"sh", "-c", "cd \"$1\" && exec apt-get -c \"$2\" -q download \"$3\"", "sh", dir,
                              apt_conf, spec},
                             "", {}, cache + "/tmp/apt-get-download." + sha + ".log");
  const std::string log = log_excerpt(r.log);
  fs::remove(r.log);
  if (!r.exit.exited_ok()) throw std::runtime_error("apt-get download " + spec + " " + r.exit.describe() + ": " + log);
  std::vector<fs::path> debs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".deb") debs.push_back(e.path());
  }
  if (debs.size() != 1) throw std::runtime_error("apt-get download " + spec + " left " +
                                                 std::to_string(debs.size()) + " .deb files, expected 1");
  const std::string got = sha256_file(debs[0].string());
  if (got != sha) {
    throw std::runtime_error("apt-get download " + spec + ": SHA-256 " + got + " differs from the Packages entry " + sha);
  }
  fs::rename(debs[0], path);
  facts.push_back("downloaded with `apt-get download " + spec + "` (apt checks it against the signed index); "
                  "its SHA-256 checked again here against the Packages entry: " + sha);
  return path;
}

namespace {

// dpkg-deb -x into <work>/<sha> (temp name, then rename); returns the directory.
std::string extract_deb(const std::string& deb, const std::string& work, const std::string& sha,
                        const std::string& log_dir) {
  make_dirs(work);
  const std::string dest = work + "/" + sha.substr(0, 16);
  if (file_exists(dest + "/.complete")) return dest;
  std::error_code ec;
  fs::remove_all(dest, ec);
  const std::string tmp = temp_name(dest);
  fs::remove_all(tmp, ec);
  make_dirs(tmp);
  const ToolRun r = run_tool({"dpkg-deb", "-x", deb, tmp}, "", {}, log_dir + "/dpkg-deb." + sha.substr(0, 12) + ".log");
  if (!r.exit.exited_ok()) throw std::runtime_error("dpkg-deb -x " + deb + " " + r.exit.describe() + ": " + log_excerpt(r.log));
  write_file_atomic(tmp + "/.complete", "");
  rename_into_place(tmp, dest);
  return dest;
}

// The candidate package version, checked step by step. Returns the reason it
// cannot be measured, or "" with r.library set.
std::string prepare(PrivateApt& apt, const DebianSettings& s, DebianResult& r) {
  const std::string spec = r.package + "=" + r.version;
  const ToolRun show = apt.apt("apt-cache", {"show", spec}, "apt-cache-show.log");
  if (!show.exit.exited_ok()) return "apt-cache show " + spec + " " + show.exit.describe() + ": " + log_excerpt(show.log);
  const auto stanza = parse_stanza(show.out.substr(0, show.out.find("\n\n")));
  r.sha256 = stanza.count("SHA256") ? stanza.at("SHA256") : "";
  if (r.sha256.size() != 64) return "the Packages entry of " + spec + " has no SHA256 field";
  r.facts.push_back("`" + spec + "` from Debian " + r.suite + " (`" +
                    (stanza.count("Filename") ? stanza.at("Filename") : "?") + "`, archive " + apt.uri() + ")");
  const std::string deb = fetch_deb(apt.conf(), s.cache_dir, spec, r.sha256, r.facts);
  const std::string root = extract_deb(deb, s.work_dir, r.sha256, s.log_dir);

  std::vector<std::string> libs;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string n = e.path().filename().string();
    if (e.is_regular_file() && !e.is_symlink() && n.rfind("lib", 0) == 0 && n.find(".so") != std::string::npos) {
      libs.push_back(e.path().string());
    }
  }
  if (libs.size() != 1) {
    return "expected exactly one shared object (lib*.so*) in " + spec + ", found " + std::to_string(libs.size());
  }
  const std::string lib = libs[0];
  r.facts.push_back("shared object `" + lib.substr(root.size() + 1) + "`");

  // Can it load here? First the glibc symbol versions it needs, then ld.so itself.
  const ToolRun elf = run_tool({"readelf", "-V", "--wide", lib}, "", {}, s.log_dir + "/readelf." + r.name + ".log");
  if (!elf.exit.exited_ok()) return "readelf -V " + lib + " " + elf.exit.describe();
  const auto needs = needed_versions(elf.out, "GLIBC_");
  const std::string host = gnu_get_libc_version();
  const auto newer = too_new(needs, host);
  if (!newer.empty()) {
    std::string list;
    for (const auto& n : newer) list += (list.empty() ? "" : ", ") + n;
    return "needs " + list + " but this host has glibc " + host + " (ELF version needs)";
  }
  std::string newest = "none";
  for (const auto& n : needs) {
    if (newest == "none" || compare_dotted(n.substr(6), newest.substr(6)) > 0) newest = n;
  }
  r.facts.push_back("newest glibc symbol version it needs: " + newest + " (host glibc " + host + ")");
  const std::string probe_log = s.log_dir + "/preload-probe." + r.name + ".stderr";
  const ToolRun probe = run_tool({s.workload, "--probe"}, lib, {}, probe_log);
  std::string banner;
  for (const auto& l : words(probe.out)) {
    if (l.rfind("allocator=", 0) == 0) banner = probe.out.substr(probe.out.find("allocator=") + 10);
  }
  banner = trim(banner.substr(0, banner.find('\n')));
  if (!probe.exit.exited_ok() || banner.empty() || banner.rfind("glibc", 0) == 0 || banner == "unknown") {
    return "a preload probe did not run under it (" + probe.exit.describe() + ", allocator '" + banner +
           "'): " + log_excerpt(probe_log);
  }
  r.facts.push_back("preload probe: the allocator answers '" + banner + "'");

  // The smoke gate's identity and api checks, against what the package says it is.
  const std::string family = banner.substr(0, banner.find(' '));
  const std::string upstream = upstream_version(r.version);
  if (allocpipe::family::find(family) == nullptr) {
    return "the smoke gate knows no family '" + family + "' (no folder " + allocpipe::family::families_dir() + "/" +
           family + "/); this library answers '" + banner + "'";
  }
  // Identity must pass: otherwise the numbers would not belong to what the
  // package says it is. An api failure is reported loudly but the arm is still
  // measured (the workload calls only malloc, realloc and free), because
  // "does Debian's build behave like ours?" is the question being asked.
  auto smoke_check = [&](const std::string& check) {
    std::vector<std::string> argv{s.smoke, "--library", lib, "--allocator", family, "--version", upstream,
                                  "--variant", "normal", "--check", check};
    // The deviations recorded for this upstream version (its recipe), if any.
    for (const auto& g : allocpipe::family::known_deviations(family, upstream)) {
      argv.push_back("--allow-missing-enomem");
      argv.push_back(g);
    }
    const std::string base = s.log_dir + "/smoke-" + check + "." + r.name;
    ToolRun t = run_tool(argv, "", {}, base + ".stderr");
    write_file_atomic(base + ".stdout", t.out);
    return t;
  };
  const ToolRun identity = smoke_check("identity");
  if (!identity.exit.exited_ok()) {
    return "failed the smoke gate's identity check as " + family + " " + upstream + " (" + identity.exit.describe() +
           "; " + identity.log + "): " + log_excerpt(identity.log);
  }
  r.facts.push_back("smoke gate identity check passed as " + family + " " + upstream);
  const ToolRun api = smoke_check("api");
  if (api.exit.exited_ok()) {
    r.facts.push_back("smoke gate api check passed");
  } else {
    r.api_failure = log_excerpt(api.log);
    r.facts.push_back("**smoke gate api check FAILED** (" + api.exit.describe() + "; " + api.log +
                      "); measured anyway, the workload uses only malloc/realloc/free: " + r.api_failure);
  }
  // Not a secure build: the secure check, run as if it were one, must find
  // that the protections are missing (for a family that has a secure variant).
  const std::string expectations = allocpipe::family::secure_expectations(family);
  if (expectations.empty()) {
    r.facts.push_back("not a secure build: " + family + " has no secure variant (no secure.txt in its family folder)");
  } else {
    const ToolRun sec = run_tool({s.smoke, "--library", lib, "--allocator", family, "--version", upstream, "--variant",
                                  "secure", "--secure-expectations", expectations, "--check", "secure"},
                                 "", {}, s.log_dir + "/smoke-secure." + r.name + ".stderr");
    write_file_atomic(s.log_dir + "/smoke-secure." + r.name + ".stdout", sec.out);
    r.facts.push_back(sec.exit.exited_ok()
                          ? "a SECURE build: the smoke gate's secure check found every protection"
                          : "not a secure build: the smoke gate's secure check, run on it, finds the protections "
                            "missing (" + sec.exit.describe() + ")");
  }
  r.library = lib;
  return "";
}

}  // namespace

std::map<std::string, std::string> parse_stanza(const std::string& text) {
  std::map<std::string, std::string> f;
  std::istringstream in(text);
  std::string line, key;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if ((line[0] == ' ' || line[0] == '\t') && !key.empty()) {
      f[key] += "\n" + trim(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    key = line.substr(0, colon);
    f[key] = trim(line.substr(colon + 1));
  }
  return f;
}

std::string archive_uri(const std::vector<std::string>& deb822_files, const std::string& sources_list) {
  for (const auto& file : deb822_files) {
    std::string rest = file + "\n\n";
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t end = rest.find("\n\n", pos);
      if (end == std::string::npos) end = rest.size();
      const auto f = parse_stanza(rest.substr(pos, end - pos));
      pos = end + 2;
      const auto has = [&](const char* k, const std::string& w) {
        if (!f.count(k)) return false;
        const auto ws = words(f.at(k));
        return std::find(ws.begin(), ws.end(), w) != ws.end();
      };
      if (has("Types", "deb") && has("Suites", "bookworm") && f.count("URIs")) {
        const auto u = words(f.at("URIs"));
        if (!u.empty()) return u[0];
      }
    }
  }
  std::istringstream in(sources_list);
  std::string line;
  while (std::getline(in, line)) {
    auto w = words(line.substr(0, line.find('#')));
    if (w.size() >= 3 && w[0] == "deb") {
      size_t i = 1;
      if (w[1].rfind('[', 0) == 0) {  // [ options ]
        while (i < w.size() && w[i].back() != ']') ++i;
        ++i;
      }
      if (i + 1 < w.size() && w[i + 1] == "bookworm") return w[i];
    }
  }
  return "";
}

std::string upstream_version(const std::string& v) {
  std::string u = v.substr(v.find(':') == std::string::npos ? 0 : v.find(':') + 1);
  const size_t dash = u.rfind('-');
  if (dash != std::string::npos) u = u.substr(0, dash);
  const size_t cut = u.find_first_of("+~");
  return cut == std::string::npos ? u : u.substr(0, cut);
}

std::vector<std::string> needed_versions(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  bool in_needs = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("section '") != std::string::npos) in_needs = line.find(".gnu.version_r") != std::string::npos;
    if (!in_needs) continue;
    const size_t at = line.find("Name: " + prefix);
    if (at == std::string::npos) continue;
    const std::string name = words(line.substr(at + 6))[0];
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

int compare_dotted(const std::string& a, const std::string& b) {
  std::istringstream ia(a), ib(b);
  std::string xa, xb;
  for (;;) {
    const bool ha = static_cast<bool>(std::getline(ia, xa, '.'));
    const bool hb = static_cast<bool>(std::getline(ib, xb, '.'));
    if (!ha && !hb) return 0;
    const long na = ha ? std::strtol(xa.c_str(), nullptr, 10) : 0;
    const long nb = hb ? std::strtol(xb.c_str(), nullptr, 10) : 0;
    if (na != nb) return na < nb ? -1 : 1;
  }
}

std::vector<std::string> too_new(const std::vector<std::string>& needs, const std::string& host_glibc) {
  std::vector<std::string> out;
  for (const auto& n : needs) {
    if (n.rfind("GLIBC_", 0) != 0) continue;
    const std::string v = n.substr(6);
    if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0])) && compare_dotted(v, host_glibc) > 0) {
      out.push_back(n);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_madison(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::istringstream l(line);
    std::string c;
    while (std::getline(l, c, '|')) cols.push_back(trim(c));
    if (cols.size() < 3) continue;
    const auto w = words(cols[2]);  // URI suite/component arch Packages
    if (w.size() < 2 || w.back() != "Packages") continue;
    rows.emplace_back(cols[1], w[1].substr(0, w[1].find('/')));
  }
  return rows;
}

DebianResult resolve_debian(const std::string& name, const std::string& request, const DebianSettings& given) {
  DebianSettings s = given;
  if (s.cache_dir.empty()) s.cache_dir = default_cache_dir();
  if (s.smoke.empty()) throw std::runtime_error("Debian arm '" + name + "': --smoke PATH of allocpipe-smoke is required");
  make_dirs(s.log_dir);
  DebianResult r;
  r.name = name;
  r.request = request;
  const size_t eq = request.find('=');
  r.package = request.substr(0, eq);
  const std::string want = request.substr(eq + 1);

  PrivateApt apt(s.cache_dir, s.log_dir);
  apt.ensure_lists(r.package, want);
  const ToolRun m = apt.apt("apt-cache", {"madison", r.package}, "apt-cache-madison.log");
  auto rows = parse_madison(m.out);
  if (want != "newest") {
    rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const auto& x) { return x.first != want; }), rows.end());
  }
  if (rows.empty()) {
    r.version = want;
    r.not_measurable = "no suite of " + std::string(kSuites) + " at " + apt.uri() + " serves " + request +
                       " (apt-cache madison: " + trim(m.out.empty() ? "nothing" : m.out) + ")";
    return r;
  }
  // apt lists versions newest first; "newest" takes the first one that can be measured.
  std::vector<std::string> skipped, tried;
  for (const auto& [version, suite] : rows) {
    if (std::find(tried.begin(), tried.end(), version) != tried.end()) continue;
    tried.push_back(version);
    DebianResult c = r;
    c.version = version;
    c.suite = suite;
    c.not_measurable = prepare(apt, s, c);
    if (c.not_measurable.empty() || want != "newest") {
      for (const auto& k : skipped) c.facts.insert(c.facts.begin(), k);
      if (want == "newest") c.facts.insert(c.facts.begin(), "newest measurable version of " + r.package + ": " + version);
      return c;
    }
    skipped.push_back("newer " + r.package + " " + version + " (" + suite + ") is not measurable here: " +
                      c.not_measurable);
  }
  r.not_measurable = "no version of " + r.package + " can be measured here";
  r.facts = skipped;
  return r;
}

}  // namespace apq
