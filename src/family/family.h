// What allocpipe's C++ programs know about an allocator family: how to ask
// the allocator serving this process its version and whether it owns a
// block. Each family's answer is recipes/<family>/identity.cpp (one
// ALLOCPIPE_FAMILY definition), compiled into the smoke probe, the smoke
// harness and the benchmark; src/family/CMakeLists.txt generates the list of
// all of them. Nothing here links an allocator: symbols are found with
// dlsym(RTLD_DEFAULT) in whatever process the code runs in.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace allocpipe::family {

struct Family {
    const char* name;  // the folder name: recipes/<name>/
    // Symbols the library exports. The first identifies the family in a
    // process; the smoke gate requires all of them to come from the
    // preloaded file.
    std::vector<const char*> symbols;
    // How the version is asked, for messages ("mi_version()").
    const char* version_query;
    // The allocator's own answer, as text that starts with its x.y[.z]
    // version ("3.0.1 (mi_version=301)", "5.3.1-0-g81034ce...", "2.10
    // (gperftools 2.10)"); empty when the query is unavailable or fails.
    std::string (*version)();
    // Whether p is a live block of this allocator: 1 yes, 0 no, -1 cannot tell.
    int (*owns)(const void* p);
    // owns() gives a meaningful (and safe) "no" for memory that is not the
    // allocator's, so the smoke gate also checks stack, mmap and glibc blocks.
    bool owns_rejects_foreign;
    // Environment that makes the allocator describe itself on stderr at
    // start-up, and the marker of the line worth quoting (benchmark banner);
    // empty / nullptr for none.
    std::vector<std::pair<const char*, const char*>> banner_env;
    const char* banner_marker;
};

// Every family compiled in (one per recipes/<family>/identity.cpp), by name.
const std::vector<const Family*>& all();
// Where the family folders were ("<ALLOC_RECIPES_DIR>"), for messages.
const char* families_dir();
// The family called `name`, or nullptr.
const Family* find(const std::string& name);
// "mimalloc, jemalloc, ..." for messages.
std::string names();
// The first family whose identifying symbol this process has, or nullptr.
const Family* serving();
// Whether an allocator's version answer is the recipe's version: equal, or
// starting with it followed by something other than a digit or '.'
// ("5.3.1-0-g..." is 5.3.1; "2.10" is not 2.1).
bool version_matches(const std::string& expected, const std::string& answer);

// Data of the family folder <families_dir()>/<family>/, for tools that run a
// library outside the superbuild (the benchmark's Debian arms):
//   the path of its secure.txt, or "" when the family has no secure variant;
//   the KNOWN_DEVIATIONS of <version>.recipe, or none when there is no such
//   recipe (a version nobody measured is checked strictly).
std::string secure_expectations(const std::string& family);
std::vector<std::string> known_deviations(const std::string& family, const std::string& version);

// dlsym(RTLD_DEFAULT, name) as a function pointer.
void* find_symbol(const char* name);
template <typename F>
F find_function(const char* name) {
    return reinterpret_cast<F>(find_symbol(name));
}

}  // namespace allocpipe::family

// Defines the family object of recipes/<name>/identity.cpp:
//   ALLOCPIPE_FAMILY(mimalloc) = { "mimalloc", {...}, ... };
#define ALLOCPIPE_FAMILY(name)                                                  \
    extern const ::allocpipe::family::Family allocpipe_family_##name;           \
    const ::allocpipe::family::Family allocpipe_family_##name
