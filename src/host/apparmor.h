// Does an AppArmor profile let a confined process map (mmap PROT_EXEC) and
// read a library file? We read the profile text as apparmor_parser does for
// file rules: #include / include [if exists] <...> / "..." (files and
// directories), @{variables} (=, +=) from the tunables, and the file rules of
// the named profile (not of its child profiles or hats). AppArmor globbing:
// * (not '/'), ** (anything), ?, [...] / [^...], {a,b} nested.
//
// What this cannot do: tell whether the kernel enforces the profile (that is
// /sys/module/apparmor/parameters/enabled and the loaded policy), follow
// policy compiled into the kernel that differs from the text on disk, or
// evaluate 'owner' rules (they depend on the file's owner at run time: we do
// not count them as allowing).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace allocpipe::host::apparmor {

std::vector<std::string> expand_braces(const std::string& pattern);
bool glob_match(const std::string& pattern, const std::string& path);

struct FileRule {
  std::string path;  // variables expanded (may still hold {a,b})
  std::string perms;
  bool deny = false, owner = false;
  std::string text, origin;  // the rule as written, "file:line"
};

struct Profile {
  std::string name;
  std::filesystem::path file;
  std::vector<FileRule> rules;
  std::vector<std::filesystem::path> local_includes;  // include targets under local/
  std::vector<std::string> notes;                     // rules we could not evaluate, and why
};

// Finds the file defining profile `name` under `dir` (a file named like the
// profile, else one declaring "profile <name>") and reads it. Throws
// SystemError naming the profile and directory when there is none.
Profile load_profile(const std::filesystem::path& dir, const std::string& name);
Profile parse_profile_file(const std::filesystem::path& dir, const std::filesystem::path& file,
                           const std::string& name);

struct MapVerdict {
  bool allowed = false;
  std::string rule_needed;  // "<path> mr," when not allowed
  std::string allowed_by;   // origin + text of the rule(s) that allow it
  std::string denied_by;    // a deny rule that matches, if any
};
MapVerdict check_map(const Profile& profile, const std::string& library_path);

bool enabled(const std::filesystem::path& flag_file);

}  // namespace allocpipe::host::apparmor
