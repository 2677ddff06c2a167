// Persistent worker threads (Tor's cpuworker/threadpool) that sleep on a
// condition variable and, once per simulated hour, build consensus diffs and
// compressed outputs (consdiffmgr). Outputs are allocated on the workers and
// freed later by the main thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "options.h"
#include "tracked.h"

namespace apw {

// One finished job: the buffers it hands to the main thread.
struct JobResult {
  uint64_t index = 0;
  uint64_t checksum = 0;
  std::vector<TrackedBuf> outputs;
};

class WorkerPool {
 public:
  // `main` is the main thread's tracker: outputs are re-bound to it, so the
  // main thread frees them and they count as its frees.
  WorkerPool(const Options& o, Tracker& main, uint64_t seed);
  ~WorkerPool();  // stops and joins the workers
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the hour's jobs; job j runs on worker j % threads.
  void launch(int hour);
  // Waits until every launched job is done and returns the results in job
  // order (deterministic whatever the timing was).
  std::vector<JobResult> collect();

 private:
  struct Job {
    int hour;
    uint64_t index;
  };
  struct Worker {
    std::deque<Job> queue;
    std::thread thread;
  };
  void run(size_t w);
  JobResult do_job(const Job& job);

  const Options& o_;
  Tracker& main_;
  uint64_t seed_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::vector<Worker> workers_;
  std::vector<JobResult> done_;
  uint64_t outstanding_ = 0;
  bool stop_ = false;
};

}  // namespace apw
