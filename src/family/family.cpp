#include "family.h"

#include <cctype>
#include <dlfcn.h>

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

}  // namespace allocpipe::family
