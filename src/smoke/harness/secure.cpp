// Secure behaviour, measured: each protection is a hostile operation run in
// a sacrificial child; it counts as present only if the allocator reports it
// on stderr. Which protections a family's secure variant must show, and how
// to provoke each, is data: recipes/<family>/secure.txt (--secure-expectations).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../common/protocol.h"
#include "checks.h"
#include "probe_run.h"

namespace allocpipe::smoke {
namespace {

namespace pr = allocpipe::smoke::protocol;

struct Protection {
    std::string name;               // what the protection is and which build option gives it
    std::vector<std::string> args;  // the probe's mode: {"hostile", OP} or {"noop"}
    std::string operation;          // human description of the operation
    std::vector<std::pair<std::string, std::string>> env;
    // What the allocator writes to stderr when it detects the operation (or,
    // for "noop", at start-up). It must be specific to that allocator: glibc,
    // for one, reports a double free as "free(): double free detected in tcache 2".
    std::string report;
};

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto at = s.find(sep, start);
        out.push_back(trim(s.substr(start, at == std::string::npos ? std::string::npos : at - start)));
        if (at == std::string::npos) return out;
        start = at + 1;
    }
}

// secure.txt: one protection per line,
//   name | hostile OP  or  noop | what the operation does | K=V,... or - | report
// '#' starts a comment line. An error names the file and line.
std::vector<Protection> load_protections(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file + ": cannot read the secure expectations");
    std::vector<Protection> out;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const auto where = file + ":" + std::to_string(n) + ": ";
        const auto f = split(t, '|');
        if (f.size() != 5 || f[0].empty() || f[1].empty() || f[4].empty()) {
            throw std::runtime_error(where + "expected 'name | hostile OP or noop | operation | "
                                     "K=V,... or - | report', got '" + t + "'");
        }
        Protection p{f[0], split(f[1], ' '), f[2], {}, f[4]};
        const bool hostile = p.args.size() == 2 && p.args[0] == "hostile";
        const bool noop = p.args.size() == 1 && p.args[0] == "noop";
        if (!hostile && !noop) {
            throw std::runtime_error(where + "probe '" + f[1] + "': expected 'hostile OP' or 'noop'");
        }
        if (f[3] != "-") {
            for (const auto& kv : split(f[3], ',')) {
                const auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0) {
                    throw std::runtime_error(where + "environment '" + kv + "': expected NAME=VALUE");
                }
                p.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
            }
        }
        out.push_back(std::move(p));
    }
    if (out.empty()) throw std::runtime_error(file + ": lists no protection");
    return out;
}

struct Observation {
    ProbeRun run;
    bool ran = false;       // the probe reached the hostile operation
    bool detected = false;  // the allocator reported it
    std::string evidence;   // the reporting stderr line
};

std::string line_containing(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    if (at == std::string::npos) return {};
    const auto begin = text.rfind('\n', at);
    const auto end = text.find('\n', at);
    return text.substr(begin == std::string::npos ? 0 : begin + 1,
                       end == std::string::npos ? std::string::npos
                                                : end - (begin == std::string::npos ? 0 : begin + 1));
}

Observation observe(const Options& o, const std::string& library, const Protection& p) {
    Observation obs;
    obs.run = run_probe(o, library, p.args, p.env);
    // A hostile operation announces itself just before it runs; "noop"
    // (start-up reports) has run once the probe got going at all.
    obs.ran = p.args[0] == "hostile" ? obs.run.has(std::string(pr::kArmed), p.args[1])
                                     : obs.run.process.started;
    obs.evidence = line_containing(obs.run.process.err, p.report);
    obs.detected = obs.ran && !obs.evidence.empty();
    return obs;
}

// Memory mappings per GB of RSS under the probe's "mappings" heap: guard
// pages multiply mappings, and vm.max_map_count (65530 by default) is a hard
// per-process ceiling. Reported, not judged; the qualification benchmark
// measures the same ratio on its workload.
std::string mapping_ratio(const Options& o, const std::string& library) {
    const ProbeRun run = run_probe(o, library, {"mappings"});
    for (const auto& rec : run.records) {
        if (rec.tag != std::string(pr::kNote) || rec.fields.size() < 2 || rec.fields[0] != "mappings") continue;
        long count = 0, rss_kb = 0;
        if (std::sscanf(rec.fields[1].c_str(), "%ld %ld", &count, &rss_kb) != 2 || rss_kb <= 0) break;
        const double per_gb = static_cast<double>(count) / (static_cast<double>(rss_kb) / (1024.0 * 1024.0));
        char buf[160];
        std::snprintf(buf, sizeof buf, "%.0f mappings per GB of RSS (%ld mappings at %.1f MB RSS)", per_gb, count,
                      static_cast<double>(rss_kb) / 1024.0);
        return buf;
    }
    return "mappings: not measured (" + run.process.status_text(o.timeout_seconds) + ")";
}

// What the child said instead of the expected report: the line with the
// report's "key" (the text up to its last ':', e.g. "secure level:"), so
// "secure level: 0" is shown, or that there was no such line at all.
std::string what_was_reported(const std::string& err, const Protection& p) {
    const auto colon = p.report.rfind(':');
    if (colon == std::string::npos || colon + 1 >= p.report.size()) return "no detection";
    const std::string key = p.report.substr(0, colon + 1);
    const std::string line = line_containing(err, key);
    if (line.empty()) {
        return p.args[0] == "noop" ? "no '" + key.substr(0, key.size() - 1) + "' line" : "no detection";
    }
    return "'" + line + "' instead";
}

}  // namespace

CheckOutcome secure_check(const Options& o) {
    CheckOutcome out;
    out.check = "secure";
    std::vector<Protection> protections;
    try {
        protections = load_protections(o.secure_expectations);
    } catch (const std::exception& e) {
        out.fail("the secure expectations of " + o.allocator, e.what(), "expectations");
        return out;
    }

    for (const auto& p : protections) {
        const Observation obs = observe(o, o.library, p);
        const std::string status = obs.run.process.status_text(o.timeout_seconds);
        if (!obs.ran) {
            out.fail("the operation '" + p.args.back() + "' to run in the child",
                     "it never got there (" + status + ")", p.args.back());
            out.children.push_back(obs.run.log(o.timeout_seconds));
        } else if (!obs.detected) {
            out.fail(p.name + ": '" + p.report + "' reported after " + p.operation,
                     what_was_reported(obs.run.process.err, p) + " (child " + status + ")",
                     p.args.back());
            out.children.push_back(obs.run.log(o.timeout_seconds));
        } else {
            ++out.subchecks_passed;
            out.details.push_back("has " + p.name + ": " + obs.evidence + " (child " + status + ")");
        }
    }
    out.details.push_back("mappings: " + mapping_ratio(o, o.library) +
                          (o.twin.empty() ? std::string() : "; normal twin: " + mapping_ratio(o, o.twin)));

    if (o.twin.empty()) {
        out.details.push_back("no --twin given: protections measured on this build only");
        return out;
    }
    std::vector<std::string> lacking, also_present;
    for (const auto& p : protections) {
        const Observation obs = observe(o, o.twin, p);
        if (!obs.ran) {
            out.fail("the operation '" + p.args.back() + "' to run under the normal twin " + o.twin,
                     "it never got there (" + obs.run.process.status_text(o.timeout_seconds) + ")",
                     "twin:" + p.args.back());
            out.children.push_back(obs.run.log(o.timeout_seconds));
        } else if (obs.detected) {
            also_present.push_back(p.name);
        } else {
            lacking.push_back(p.name);
        }
    }
    for (const auto& name : lacking) out.details.push_back("normal twin lacks " + name);
    for (const auto& name : also_present) out.details.push_back("normal twin also has " + name);
    if (lacking.empty() && !also_present.empty()) {
        out.fail("the normal twin " + o.twin + " to lack at least one protection",
                 "it shows all of them, so this build is not measurably more secure", "twin");
    } else if (!lacking.empty()) {
        ++out.subchecks_passed;
    }
    return out;
}

}  // namespace allocpipe::smoke
