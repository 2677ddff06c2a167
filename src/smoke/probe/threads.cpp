// Concurrency: 8 threads freeing each other's blocks, threads exiting with
// live blocks, and fork() (while another thread allocates) followed by
// allocation in the child.
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "memory.h"
#include "modes.h"

namespace allocpipe::smoke::probe {
namespace {

struct Block {
    void* p = nullptr;
    std::size_t n = 0;
    std::uint64_t seed = 0;
};

class Mailbox {
public:
    void put(Block b) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            q_.push_back(b);
        }
        cv_.notify_one();
    }
    bool try_take(Block& out) {
        std::lock_guard<std::mutex> lock(mu_);
        if (q_.empty()) return false;
        out = q_.front();
        q_.pop_front();
        return true;
    }
    Block take() {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !q_.empty(); });
        Block b = q_.front();
        q_.pop_front();
        return b;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Block> q_;
};

std::size_t size_for(std::uint64_t x) {
    switch (x % 10) {
        case 0: return (x >> 8) % (64 * 1024) + 1;  // medium
        case 1: return (x >> 8) % 8192 + 1;
        default: return (x >> 8) % 256 + 1;        // small
    }
}

// Each of 8 threads allocates blocks and hands them to the next thread,
// which verifies and frees them (every block is freed by a foreign thread).
void check_cross_thread(Reporter& r) {
    r.start("threads.cross-free");
    constexpr int kThreads = 8, kPerThread = 6000;
    std::vector<Mailbox> boxes(kThreads);
    std::atomic<int> corrupt{0}, failed_alloc{0};
    auto consume = [&](const Block& b) {
        if (verify(b.p, b.n, b.seed) != kNoMismatch) ++corrupt;
        if (b.seed % 3 == 0) {
            ::operator delete(b.p);
        } else {
            std::free(b.p);
        }
    };
    auto worker = [&](int id) {
        Mailbox& out = boxes[(id + 1) % kThreads];
        Mailbox& in = boxes[id];
        std::uint64_t rng = 0x1234567ull * (id + 1);
        int consumed = 0;
        for (int i = 0; i < kPerThread; ++i) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            Block b{nullptr, size_for(rng >> 16), rng};
            b.p = b.seed % 3 == 0 ? opaque(::operator new(b.n)) : opaque(std::malloc(b.n));
            if (b.p == nullptr) {
                ++failed_alloc;
                b.n = 0;
                b.p = std::malloc(1);
            }
            fill(b.p, b.n, b.seed);
            out.put(b);
            Block got;
            while (consumed < kPerThread && in.try_take(got)) {
                consume(got);
                ++consumed;
            }
        }
        while (consumed < kPerThread) {
            consume(in.take());
            ++consumed;
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) threads.emplace_back(worker, i);
    for (auto& t : threads) t.join();
    r.expect(failed_alloc == 0 && corrupt == 0, "threads.cross-free",
             "8 threads x 6000 blocks freed by another thread, contents intact",
             std::to_string(corrupt.load()) + " corrupted, " + std::to_string(failed_alloc.load()) +
                 " failed allocations");
}

// Threads that exit while their blocks are alive; the main thread then
// verifies and frees them. A thread_local destructor allocates at exit.
struct ExitAllocator {
    std::string* trail = nullptr;
    ~ExitAllocator() {
        std::string s(1000, 'x');  // allocation during thread teardown
        trail = new std::string(s + "!");
        delete trail;
    }
};
thread_local ExitAllocator t_exit_allocator;

void check_thread_exit(Reporter& r) {
    r.start("threads.exit-with-live-blocks");
    constexpr int kThreads = 6, kBlocks = 3000;
    std::vector<std::vector<Block>> left(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&left, t] {
            (void)t_exit_allocator.trail;  // make sure the thread_local exists
            for (int i = 0; i < kBlocks; ++i) {
                const std::uint64_t seed = static_cast<std::uint64_t>(t) * 100000 + i;
                Block b{nullptr, size_for(seed * 2654435761u), seed};
                b.p = opaque(std::malloc(b.n));
                if (b.p != nullptr) fill(b.p, b.n, seed);
                left[t].push_back(b);
            }
        });
    }
    for (auto& th : threads) th.join();
    // New threads reuse the dead threads' state; allocate there too.
    std::thread([] {
        for (int i = 0; i < 20000; ++i) std::free(opaque(std::malloc(i % 700 + 1)));
    }).join();
    int bad = 0;
    for (auto& blocks : left) {
        for (auto& b : blocks) {
            if (b.p == nullptr || verify(b.p, b.n, b.seed) != kNoMismatch) ++bad;
            std::free(b.p);
        }
    }
    r.expect(bad == 0, "threads.exit-with-live-blocks",
             "blocks of 6 exited threads intact and freeable by main",
             std::to_string(bad) + " blocks missing or corrupted");
}

// Child side of the fork check: allocate, verify, free; exit status says how
// it went. The alarm turns a deadlock on an allocator lock into SIGALRM.
[[noreturn]] void forked_child() {
    alarm(30);
    std::vector<Block> blocks;
    for (int i = 0; i < 5000; ++i) {
        const std::uint64_t seed = 0xf0f0 + i;
        const std::size_t n = size_for(seed * 11400714819323198485ull);
        Block b{opaque(std::malloc(n)), n, seed};
        if (b.p == nullptr) _exit(3);
        fill(b.p, b.n, seed);
        blocks.push_back(b);
    }
    std::thread helper([] {
        for (int i = 0; i < 1000; ++i) delete[] opaque(new char[i + 1]);
    });
    helper.join();
    for (auto& b : blocks) {
        if (verify(b.p, b.n, b.seed) != kNoMismatch) _exit(4);
        std::free(b.p);
    }
    _exit(0);
}

void check_fork(Reporter& r) {
    r.start("threads.fork");
    std::atomic<bool> stop{false};
    std::thread busy([&] {
        std::uint64_t i = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            void* p = opaque(std::malloc(size_for(++i * 0x9E3779B97F4A7C15ull)));
            std::free(p);
        }
    });
    void* parent_block = opaque(std::malloc(4096));
    fill(parent_block, 4096, 42);
    std::string seen;
    for (int round = 0; round < 4 && seen.empty(); ++round) {
        const pid_t pid = fork();
        if (pid < 0) {
            seen = "fork() failed";
            break;
        }
        if (pid == 0) forked_child();
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {}
        if (WIFSIGNALED(status)) {
            seen = "child of fork #" + std::to_string(round + 1) + " killed by signal " +
                   std::to_string(WTERMSIG(status)) +
                   (WTERMSIG(status) == SIGALRM ? " (deadlock: no progress in 30 s)" : "");
        } else if (WEXITSTATUS(status) != 0) {
            const int code = WEXITSTATUS(status);
            seen = "child of fork #" + std::to_string(round + 1) + " exited " +
                   std::to_string(code) +
                   (code == 3 ? " (malloc returned NULL)" : code == 4 ? " (contents lost)" : "");
        }
    }
    stop = true;
    busy.join();
    if (seen.empty() && verify(parent_block, 4096, 42) != kNoMismatch) {
        seen = "the parent's block changed across fork()";
    }
    std::free(parent_block);
    r.expect(seen.empty(), "threads.fork",
             "4 x fork() during allocation in another thread; children allocate and exit 0",
             seen);
}

}  // namespace

void run_threads(Reporter& r) {
    check_cross_thread(r);
    check_thread_exit(r);
    check_fork(r);
}

}  // namespace allocpipe::smoke::probe
