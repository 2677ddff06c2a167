#include "apparmor.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "error.h"
#include "fs.h"

namespace allocpipe::host::apparmor {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- globbing

namespace {

constexpr std::size_t max_alternatives = 1 << 16;

// Index of the '}' closing the '{' at `open`, or npos.
std::size_t closing_brace(const std::string& p, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == '{') {
      ++depth;
    } else if (p[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string::npos;
}

void expand_into(const std::string& p, std::vector<std::string>& out) {
  std::size_t open = std::string::npos;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == '{') {
      open = i;
      break;
    }
  }
  if (open == std::string::npos) {
    if (out.size() >= max_alternatives) throw SystemError("AppArmor pattern '" + p + "': too many alternatives");
    out.push_back(p);
    return;
  }
  const std::size_t close = closing_brace(p, open);
  if (close == std::string::npos) throw SystemError("AppArmor pattern '" + p + "': unbalanced '{'");
  const std::string head = p.substr(0, open), tail = p.substr(close + 1);
  int depth = 0;
  std::size_t start = open + 1;
  for (std::size_t i = open + 1; i <= close; ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '{') ++depth;
    if (p[i] == '}' && depth > 0 && i != close) --depth;
    if ((p[i] == ',' && depth == 0) || i == close) {
      expand_into(head + p.substr(start, i - start) + tail, out);
      start = i + 1;
    }
  }
}

// [...] at p[pi] against c; sets `next` past the class. Classes never match '/'.
bool class_matches(const std::string& p, std::size_t pi, char c, std::size_t& next) {
  std::size_t i = pi + 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '^' || p[i] == '!')) {
    negate = true;
    ++i;
  }
  bool hit = false;
  bool first = true;
  for (; i < p.size() && (first || p[i] != ']'); ++i, first = false) {
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) hit = true;
  }
  if (i >= p.size()) throw SystemError("AppArmor pattern '" + p + "': unterminated '['");
  next = i + 1;
  return c != '/' && hit != negate;
}

bool match_from(const std::string& p, std::size_t pi, const std::string& s, std::size_t si) {
  while (pi < p.size()) {
    const char c = p[pi];
    if (c == '*') {
      if (pi + 1 < p.size() && p[pi + 1] == '*') {
        std::size_t rest = pi;
        while (rest < p.size() && p[rest] == '*') ++rest;
        for (std::size_t k = si; k <= s.size(); ++k)
          if (match_from(p, rest, s, k)) return true;
        return false;
      }
      for (std::size_t k = si;; ++k) {
        if (match_from(p, pi + 1, s, k)) return true;
        if (k >= s.size() || s[k] == '/') return false;
      }
    }
    if (si >= s.size()) return false;
    if (c == '?') {
      if (s[si] == '/') return false;
      ++pi;
      ++si;
    } else if (c == '[') {
      std::size_t next = 0;
      if (!class_matches(p, pi, s[si], next)) return false;
      pi = next;
      ++si;
    } else {
      char literal = c;
      if (c == '\\' && pi + 1 < p.size()) literal = p[++pi];
      if (literal != s[si]) return false;
      ++pi;
      ++si;
    }
  }
  return si == s.size();
}

std::string collapse_slashes(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!(c == '/' && !out.empty() && out.back() == '/')) out.push_back(c);
  return out;
}

}  // namespace

std::vector<std::string> expand_braces(const std::string& pattern) {
  std::vector<std::string> out;
  expand_into(pattern, out);
  return out;
}

bool glob_match(const std::string& pattern, const std::string& path) {
  for (const std::string& alternative : expand_braces(pattern))
    if (match_from(collapse_slashes(alternative), 0, path, 0)) return true;
  return false;
}

// ---------------------------------------------------------------- profile text

namespace {

struct Line {
  std::string text;
  std::string origin;  // file:line
};

std::string trim(const std::string& s) {
  std::size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  std::size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// Removes a '#' comment, keeping '#include' directives.
std::string strip_comment(const std::string& line) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == '#' && !quoted) {
      if (line.compare(i, 8, "#include") == 0) return line;
      return line.substr(0, i);
    }
  }
  return line;
}

class Flattener {
 public:
  explicit Flattener(fs::path dir) : dir_(std::move(dir)) {}

  void file(const fs::path& path, int depth, std::vector<Line>& out) {
    if (depth > 32) throw SystemError("AppArmor include nesting too deep at " + path.string());
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> entries;
      for (const auto& e : fs::directory_iterator(path, ec)) {
        const std::string name = e.path().filename().string();
        // apparmor_parser skips dot files, backups and dpkg leftovers
        if (name.empty() || name[0] == '.' || name.back() == '~' || name.find(".dpkg-") != std::string::npos ||
            name.find(".rpm") != std::string::npos || !e.is_regular_file(ec))
          continue;
        entries.push_back(e.path());
      }
      std::sort(entries.begin(), entries.end());
      for (const fs::path& e : entries) file(e, depth + 1, out);
      return;
    }
    std::istringstream in(read_file(path));
    std::string raw;
    int number = 0;
    const std::string rel = fs::path(path).lexically_relative(dir_).string();
    while (std::getline(in, raw)) {
      ++number;
      const std::string origin =
          (rel.empty() || rel.rfind("..", 0) == 0 ? path.string() : rel) + ":" + std::to_string(number);
      std::string text = trim(strip_comment(raw));
      if (text.empty()) continue;
      std::string rest;
      if (text.rfind("#include", 0) == 0)
        rest = trim(text.substr(8));
      else if (text.rfind("include ", 0) == 0 || text.rfind("include<", 0) == 0 || text.rfind("include\"", 0) == 0)
        rest = trim(text.substr(7));
      else {
        out.push_back({text, origin});
        continue;
      }
      bool optional = false;
      if (rest.rfind("if exists", 0) == 0) {
        optional = true;
        rest = trim(rest.substr(9));
      }
      if (rest.size() < 2) throw SystemError(origin + ": malformed include '" + text + "'");
      const char open = rest[0];
      const char close = open == '<' ? '>' : '"';
      const std::size_t end = rest.find(close, 1);
      if ((open != '<' && open != '"') || end == std::string::npos)
        throw SystemError(origin + ": malformed include '" + text + "' (expected <name> or \"name\")");
      const std::string name = rest.substr(1, end - 1);
      fs::path target = fs::path(name).is_absolute() ? fs::path(name) : dir_ / name;
      if (open == '"' && !fs::path(name).is_absolute() && !fs::exists(target, ec)) target = path.parent_path() / name;
      if (fs::path(name).parent_path().filename() == "local" || name.rfind("local/", 0) == 0)
        local_includes.push_back(target);
      if (!fs::exists(target, ec)) {
        if (optional) continue;
        throw SystemError(origin + ": includes " + target.string() + ", which does not exist");
      }
      out.push_back({"\x01include-begin", origin});
      file(target, depth + 1, out);
      out.push_back({"\x01include-end", origin});
    }
  }

  std::vector<fs::path> local_includes;

 private:
  fs::path dir_;
};

std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

using Variables = std::map<std::string, std::vector<std::string>>;

// @{name} -> {v1,v2} (recursively); throws naming the variable when unknown.
std::string expand_variables(const std::string& s, const Variables& vars, int depth = 0) {
  if (depth > 16) throw SystemError("AppArmor variables nested too deeply in '" + s + "'");
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '@' && i + 1 < s.size() && s[i + 1] == '{') {
      const std::size_t end = s.find('}', i + 2);
      if (end == std::string::npos) throw SystemError("unterminated variable in '" + s + "'");
      const std::string name = s.substr(i + 2, end - i - 2);
      auto it = vars.find(name);
      if (it == vars.end() || it->second.empty()) throw SystemError("unknown variable @{" + name + "}");
      std::string alt;
      for (const std::string& v : it->second) alt += (alt.empty() ? "" : ",") + expand_variables(v, vars, depth + 1);
      out += it->second.size() == 1 ? alt : "{" + alt + "}";
      i = end;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_perm_token(const std::string& t) {
  if (t.empty()) return false;
  for (char c : t)
    if (std::string("rwamlkixupcUPCbBRD").find(c) == std::string::npos) return false;
  return true;
}

bool is_path_token(const std::string& t) { return !t.empty() && (t[0] == '/' || t[0] == '@' || t[0] == '"'); }

std::string unquote(const std::string& t) {
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') return t.substr(1, t.size() - 2);
  return t;
}

// A file rule ("[audit] [deny|allow] [owner] [file] PATH PERMS [-> X]," or
// "... PERMS PATH,"), or false when the line is another kind of rule.
bool parse_file_rule(const std::string& text, FileRule& rule) {
  std::string body = text;
  if (body.empty() || body.back() != ',') return false;
  body.pop_back();
  const std::size_t arrow = body.find("->");
  if (arrow != std::string::npos) body = body.substr(0, arrow);
  std::vector<std::string> tokens = split_values(body);
  // split_values dropped the quotes; keep paths with spaces intact by
  // re-reading quoted text is not needed for library paths.
  std::size_t i = 0;
  bool saw_file = false;
  for (; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "audit" || t == "allow") continue;
    if (t == "deny")
      rule.deny = true;
    else if (t == "owner")
      rule.owner = true;
    else if (t == "file")
      saw_file = true;
    else
      break;
  }
  std::vector<std::string> rest(tokens.begin() + static_cast<long>(i), tokens.end());
  if (rest.empty() && saw_file) {  // bare "file," allows every file access
    rule.path = "/**";
    rule.perms = "rwmlk";
    return true;
  }
  if (rest.size() != 2) return false;
  if (is_path_token(rest[0]) && is_perm_token(rest[1])) {
    rule.path = unquote(rest[0]);
    rule.perms = rest[1];
  } else if (is_perm_token(rest[0]) && is_path_token(rest[1])) {
    rule.path = unquote(rest[1]);
    rule.perms = rest[0];
  } else {
    return false;
  }
  return true;
}

bool declares_profile(const std::string& text, const std::string& name) {
  std::vector<std::string> t = split_values(text);
  if (t.empty() || text.back() != '{') return false;
  if (t[0] == "profile" && t.size() >= 2) return t[1] == name;
  return t[0] == name;  // "/usr/sbin/foo flags=... {" names the profile by its path
}

}  // namespace

Profile parse_profile_file(const fs::path& dir, const fs::path& file, const std::string& name) {
  Flattener flat(dir);
  std::vector<Line> lines;
  flat.file(file, 0, lines);

  Profile profile;
  profile.name = name;
  profile.file = file;
  profile.local_includes = flat.local_includes;
  Variables vars;
  vars["profile_name"] = {name};
  // Pass 1: variables (the tunables are included at the top of the file).
  for (const Line& l : lines) {
    if (l.text.rfind("@{", 0) != 0) continue;
    const std::size_t close = l.text.find('}');
    std::size_t eq = l.text.find('=', close == std::string::npos ? 0 : close);
    if (close == std::string::npos || eq == std::string::npos) continue;
    const std::string var = l.text.substr(2, close - 2);
    const std::string between = trim(l.text.substr(close + 1, eq - close - 1));
    const bool append = between == "+";
    if (!between.empty() && !append) continue;  // a rule starting with a variable, not an assignment
    std::vector<std::string> values = split_values(l.text.substr(eq + 1));
    auto& slot = vars[var];
    if (!append) slot.clear();
    slot.insert(slot.end(), values.begin(), values.end());
  }
  // Pass 2: the rules of the profile block itself (depth 1 inside it).
  int depth = 0, profile_depth = -1;
  bool found = false;
  for (const Line& l : lines) {
    if (l.text[0] == '\x01') continue;
    const bool opens = l.text.back() == '{';
    const bool closes = l.text == "}" || l.text == "},";
    if (opens) {
      ++depth;
      if (profile_depth < 0 && declares_profile(l.text, name)) {
        profile_depth = depth;
        found = true;
      }
      continue;
    }
    if (closes) {
      if (depth == profile_depth) profile_depth = -2;  // the block ended
      --depth;
      continue;
    }
    if (profile_depth < 0 || depth != profile_depth) continue;
    FileRule rule;
    if (!parse_file_rule(l.text, rule)) continue;
    rule.text = l.text;
    rule.origin = l.origin;
    try {
      rule.path = expand_variables(rule.path, vars);
    } catch (const SystemError& e) {
      profile.notes.push_back(l.origin + ": '" + l.text + "' not evaluated: " + e.what());
      continue;
    }
    profile.rules.push_back(std::move(rule));
  }
  if (!found) throw SystemError(file.string() + ": declares no profile '" + name + "'");
  return profile;
}

Profile load_profile(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  if (name.find('/') == std::string::npos && fs::is_regular_file(dir / name, ec))
    return parse_profile_file(dir, dir / name, name);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) files.push_back(e.path());
  if (ec) throw SystemError(dir.string() + ": cannot list the AppArmor profiles (" + ec.message() + ")");
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::istringstream in(read_file(f));
    std::string line;
    while (std::getline(in, line))
      if (declares_profile(trim(strip_comment(line)), name)) return parse_profile_file(dir, f, name);
  }
  throw SystemError("AppArmor profile '" + name + "': no file under " + dir.string() + " defines it");
}

MapVerdict check_map(const Profile& profile, const std::string& library_path) {
  MapVerdict v;
  bool m = false, r = false;
  std::string allowed_m, allowed_r;
  for (const FileRule& rule : profile.rules) {
    if (!glob_match(rule.path, library_path)) continue;
    const bool has_m = rule.perms.find('m') != std::string::npos;
    const bool has_r = rule.perms.find('r') != std::string::npos;
    if (rule.deny) {
      if (has_m || has_r) v.denied_by = rule.origin + " '" + rule.text + "'";
      continue;
    }
    if (rule.owner) continue;  // depends on the file's owner at run time; not counted
    if (has_m && !m) {
      m = true;
      allowed_m = rule.origin + " '" + rule.text + "'";
    }
    if (has_r && !r) {
      r = true;
      allowed_r = rule.origin + " '" + rule.text + "'";
    }
  }
  v.allowed = m && r && v.denied_by.empty();
  v.allowed_by = allowed_m == allowed_r ? allowed_m : allowed_m + " and " + allowed_r;
  if (!v.allowed) v.rule_needed = library_path + " mr,";
  return v;
}

bool enabled(const fs::path& flag_file) {
  auto text = read_if_exists(flag_file);
  return text && !text->empty() && ((*text)[0] == 'Y' || (*text)[0] == 'y' || (*text)[0] == '1');
}

}  // namespace allocpipe::host::apparmor
