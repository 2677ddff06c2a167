#include "outcome.h"

namespace allocpipe::smoke {
namespace {

constexpr std::size_t kStderrShown = 6000;

std::string indent(const std::string& text) {
    std::string out = "    ";
    for (char c : text) {
        out += c;
        if (c == '\n') out += "    ";
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
    return out;
}

}  // namespace

std::string render(const std::string& library, const CheckOutcome& o) {
    const std::string prefix = "smoke: " + library + ": " + o.check + ": ";
    std::string text;
    for (const auto& f : o.failures) {
        text += prefix + "expected " + f.expected + ", saw " + f.seen;
        if (!f.where.empty()) text += " [" + f.where + "]";
        text += '\n';
    }
    for (const auto& d : o.details) text += prefix + d + '\n';
    if (!o.ran()) {
        text += prefix + "NOT RUN under emulation: " + o.not_run + "\n";
        return text;
    }
    if (o.passed()) {
        text += prefix + "PASSED (" + std::to_string(o.subchecks_passed) + " subchecks)\n";
        return text;
    }
    for (const auto& c : o.children) {
        text += prefix + "child: " + c.command + " -> " + c.status + "\n";
        if (c.stderr_text.empty()) {
            text += prefix + "child stderr: (empty)\n";
        } else {
            const bool cut = c.stderr_text.size() > kStderrShown;
            text += prefix + "child stderr" + (cut ? " (last 6000 bytes)" : "") + ":\n";
            text += indent(cut ? c.stderr_text.substr(c.stderr_text.size() - kStderrShown)
                               : c.stderr_text) +
                    '\n';
        }
    }
    text += prefix + "FAILED\n";
    return text;
}

}  // namespace allocpipe::smoke
