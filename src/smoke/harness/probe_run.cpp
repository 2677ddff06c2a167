#include "probe_run.h"

#include <sstream>

#include "../common/protocol.h"

namespace allocpipe::smoke {

namespace pr = allocpipe::smoke::protocol;

bool ProbeRun::has(const std::string& tag, const std::string& first_field) const {
    for (const auto& r : records) {
        if (r.tag == tag && !r.fields.empty() && r.fields[0] == first_field) return true;
    }
    return false;
}

ChildLog ProbeRun::log(int timeout_seconds) const {
    return {describe_command(command), process.status_text(timeout_seconds), process.err};
}

ProbeRun run_probe(const Options& o, const std::string& library,
                   const std::vector<std::string>& args,
                   const std::vector<std::pair<std::string, std::string>>& env) {
    ProbeRun run;
    run.command.emulator = emulator_argv(o);
    run.command.argv.push_back(o.probe);
    run.command.argv.insert(run.command.argv.end(), args.begin(), args.end());
    run.command.preload = library;
    run.command.env = env;
    run.command.scrub = o.scrub_env;
    run.command.timeout_seconds = o.timeout_seconds;
    run.process = run_process(run.command);

    std::istringstream lines(run.process.out);
    std::string line;
    while (std::getline(lines, line)) {
        auto fields = pr::split_fields(line);
        ProbeRecord rec{fields[0], {fields.begin() + 1, fields.end()}};
        if (rec.tag == pr::kDone) run.done = true;
        if (rec.tag == pr::kStart && !rec.fields.empty()) run.last_started = rec.fields[0];
        run.records.push_back(std::move(rec));
    }
    return run;
}

CheckOutcome probe_check(const Options& o, Check check) {
    CheckOutcome outcome;
    outcome.check = check_name(check);
    std::vector<std::string> args{outcome.check};
    if (check == Check::Identity) {
        args.insert(args.end(), {"--library", o.library, "--allocator", o.allocator, "--version",
                                 o.version});
    } else if (check == Check::Api) {
        for (const auto& a : o.allow_missing_enomem) {
            args.insert(args.end(), {"--allow-deviation", a});
        }
    }
    const ProbeRun run = run_probe(o, o.library, args);
    outcome.children.push_back(run.log(o.timeout_seconds));

    if (!run.process.started) {
        outcome.fail("the probe " + o.probe + " to start", run.process.start_error);
        return outcome;
    }
    for (const auto& r : run.records) {
        const auto field = [&](std::size_t i) {
            return i < r.fields.size() ? r.fields[i] : std::string("?");
        };
        if (r.tag == pr::kOk) {
            ++outcome.subchecks_passed;
        } else if (r.tag == pr::kFail) {
            outcome.fail(field(1), field(2), field(0));
        } else if (r.tag == pr::kDeviation) {
            outcome.details.push_back("known deviation [" + field(0) + "]: expected " + field(2) +
                                      ", saw " + field(3) + " (allowed by --allow-missing-enomem " +
                                      field(1) + ")");
        } else if (r.tag == pr::kNote) {
            outcome.details.push_back("note [" + field(0) + "]: " + field(1));
        }
    }
    const std::string status = run.process.status_text(o.timeout_seconds);
    if (!run.done) {
        outcome.fail("the probe's '" + outcome.check + "' run to complete",
                     status + (run.last_started.empty()
                                   ? std::string(" before its first subcheck")
                                   : " during subcheck '" + run.last_started + "'"));
    } else if (!run.process.succeeded() && outcome.failures.empty()) {
        outcome.fail("the probe to exit 0 after passing every subcheck", status);
    } else if (run.process.succeeded() && outcome.subchecks_passed == 0) {
        outcome.fail("at least one subcheck to run", "none reported");
    }
    return outcome;
}

}  // namespace allocpipe::smoke
