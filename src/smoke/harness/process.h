// Runs a child process with a controlled environment, captures its stdout
// and stderr, and kills it (with its whole process group) on a timeout.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace allocpipe::smoke {

struct Command {
    std::vector<std::string> argv;  // argv[0] is the executable path
    // Runs argv for another architecture (qemu-user and its -L prefix):
    // the started program is emulator[0] with argv appended. The emulator
    // is static, so LD_PRELOAD reaches the emulated program's loader only.
    std::vector<std::string> emulator;
    std::string preload;            // LD_PRELOAD value, or "" for none
    std::vector<std::pair<std::string, std::string>> env;  // extra variables
    // Allocator configuration removed from the inherited environment, as
    // NAME or PREFIX* (the families' ENVIRONMENT lists; --scrub-env).
    std::vector<std::string> scrub;
    int timeout_seconds = 180;
};

struct ProcessResult {
    bool started = false;
    std::string start_error;  // why it could not be started
    bool timed_out = false;
    bool exited = false;      // normal exit (exit_code valid)
    int exit_code = -1;
    int term_signal = 0;      // signal that ended it, if !exited
    std::string out;
    std::string err;

    bool succeeded() const { return started && exited && exit_code == 0; }
    // "exited 0", "killed by SIGSEGV", "timed out after 180 s", ...
    std::string status_text(int timeout_seconds) const;
};

// Variables removed from the inherited environment before the child starts,
// so that an operator's settings cannot change what is measured.
bool is_scrubbed_variable(const std::string& name, const std::vector<std::string>& scrub);

ProcessResult run_process(const Command& cmd);

// A shell-like rendering of the command, for messages.
std::string describe_command(const Command& cmd);

}  // namespace allocpipe::smoke
