#include "architecture.h"

#include <cstdint>
#include <fstream>

namespace allocpipe::smoke {
namespace {

struct Arch {
    const char* debian;
    std::uint16_t machine;  // ELF e_machine
    const char* elf_name;
};

constexpr Arch kArchs[] = {{"amd64", 62, "x86-64"}, {"arm64", 183, "AArch64"}};

const char* machine_name(std::uint16_t machine) {
    for (const Arch& a : kArchs) {
        if (a.machine == machine) return a.elf_name;
    }
    if (machine == 3) return "i386";
    if (machine == 40) return "32-bit ARM";
    return "unknown";
}

const Arch* find_arch(const std::string& debian) {
    for (const Arch& a : kArchs) {
        if (debian == a.debian) return &a;
    }
    return nullptr;
}

// "" when `path` is a 64-bit little-endian ELF file for `want`, else what it is.
std::string elf_problem(const std::string& path, const Arch& want) {
    std::ifstream in(path, std::ios::binary);
    unsigned char h[20] = {};
    if (!in.read(reinterpret_cast<char*>(h), sizeof h)) return "not an ELF file (shorter than an ELF header)";
    if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return "not an ELF file";
    if (h[4] != 2 || h[5] != 1) {
        return "an ELF file of class " + std::to_string(h[4]) + ", data encoding " + std::to_string(h[5]) +
               " (not 64-bit little-endian)";
    }
    const std::uint16_t machine = static_cast<std::uint16_t>(h[18] | (h[19] << 8));
    if (machine != want.machine) {
        return "an ELF file for machine " + std::to_string(machine) + " (" + machine_name(machine) + ")";
    }
    return {};
}

}  // namespace

const char* native_architecture() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#else
#error "allocpipe-smoke: unknown build architecture (known: amd64, arm64)"
#endif
}

bool known_architecture(const std::string& arch) { return find_arch(arch) != nullptr; }

CheckOutcome architecture_check(const std::string& arch, const std::string& library,
                                const std::string& twin) {
    CheckOutcome out;
    out.check = "architecture";
    const Arch* want = find_arch(arch);
    if (want == nullptr) {
        out.fail("a known architecture (amd64, arm64)", "'" + arch + "'");
        return out;
    }
    const std::string expected = std::string("an ELF shared object for ") + want->debian + " (" +
                                 want->elf_name + ", machine " + std::to_string(want->machine) + ")";
    for (const auto& [role, path] : {std::pair<const char*, const std::string&>{"library", library},
                                     std::pair<const char*, const std::string&>{"twin", twin}}) {
        if (path.empty()) continue;
        const std::string problem = elf_problem(path, *want);
        if (problem.empty()) {
            ++out.subchecks_passed;
        } else {
            out.fail(path + " to be " + expected, problem, role);
        }
    }
    return out;
}

}  // namespace allocpipe::smoke
