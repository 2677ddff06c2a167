#include "family.h"

#include <cctype>
#include <dlfcn.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace allocpipe::family {

void* find_symbol(const char* name) { return ::dlsym(RTLD_DEFAULT, name); }

const Family* find(const std::string& name) {
    for (const Family* f : all()) {
        if (name == f->name) return f;
    }
    return nullptr;
}

std::string names() {
    std::string out;
    for (const Family* f : all()) out += (out.empty() ? "" : ", ") + std::string(f->name);
    return out;
}

const Family* serving() {
    for (const Family* f : all()) {
        if (!f->symbols.empty() && find_symbol(f->symbols.front()) != nullptr) return f;
    }
    return nullptr;
}

bool version_matches(const std::string& expected, const std::string& answer) {
    if (expected.empty() || answer.compare(0, expected.size(), expected) != 0) return false;
    if (answer.size() == expected.size()) return true;
    const char next = answer[expected.size()];
    return next != '.' && !std::isdigit(static_cast<unsigned char>(next));
}

std::string secure_expectations(const std::string& family) {
    const std::string path = std::string(families_dir()) + "/" + family + "/secure.txt";
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? path : std::string();
}

std::vector<std::string> known_deviations(const std::string& family, const std::string& version) {
    std::ifstream recipe(std::string(families_dir()) + "/" + family + "/" + version + ".recipe");
    std::vector<std::string> out;
    std::string line;
    while (std::getline(recipe, line)) {
        const auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        std::string key = line.substr(0, eq);
        key.erase(key.find_last_not_of(" \t") + 1);
        if (key != "KNOWN_DEVIATIONS") continue;
        std::istringstream words(line.substr(eq + 1));
        for (std::string w; words >> w;) out.push_back(w);
    }
    return out;
}

}  // namespace allocpipe::family
