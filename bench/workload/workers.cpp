#include "workers.h"

#include <algorithm>
#include <cstring>

#include "precompress.h"
#include "rng.h"

namespace apw {

namespace {
constexpr uint64_t kStreamJob = 3;
}

WorkerPool::WorkerPool(const Options& o, Tracker& main, uint64_t seed)
    : o_(o), main_(main), seed_(seed), workers_(static_cast<size_t>(o.threads)) {
  for (size_t w = 0; w < workers_.size(); ++w) workers_[w].thread = std::thread([this, w] { run(w); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& w : workers_) w.thread.join();
  done_.clear();  // frees outputs nobody collected (only on early exit)
}

void WorkerPool::launch(int hour) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t j = 0; j < o_.diff_jobs; ++j) {
      workers_[j % workers_.size()].queue.push_back(Job{hour, j});
      ++outstanding_;
    }
  }
  work_cv_.notify_all();
}

std::vector<JobResult> WorkerPool::collect() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return outstanding_ == 0; });
  std::vector<JobResult> out;
  out.swap(done_);
  lock.unlock();
  std::sort(out.begin(), out.end(), [](const JobResult& a, const JobResult& b) { return a.index < b.index; });
  return out;  // outputs were re-bound to main_ by do_job
}

void WorkerPool::run(size_t w) {
  for (;;) {
    Job job{};
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !workers_[w].queue.empty(); });
      if (stop_) return;
      job = workers_[w].queue.front();
      workers_[w].queue.pop_front();
    }
    JobResult r = do_job(job);
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_.push_back(std::move(r));
      --outstanding_;
    }
    done_cv_.notify_all();
  }
}

JobResult WorkerPool::do_job(const Job& job) {
  Tracker t;  // this job's own request stream
  Rng rng(derive_seed(seed_, kStreamJob, static_cast<uint64_t>(job.hour) * 100000 + job.index));
  JobResult r;
  r.index = job.index;

  // 1. Split old and new consensus into line arrays: multi-MB pointer
  //    arrays grown with realloc (smartlist_add on every line).
  const uint64_t array_bytes = rng.range(o_.diff_array_bytes.lo, o_.diff_array_bytes.hi);
  TrackedBuf lines_old;
  TrackedBuf lines_new;
  for (uint64_t cap = 4096;; cap = std::min(array_bytes, cap * 2)) {
    lines_old.resize(t, cap);
    lines_new.resize(t, cap);
    if (cap >= array_bytes) break;
  }

  // 2. Produce the diff as a chain of fixed-size chunks (buf_t), some of
  //    which the main thread will get. Its first bytes are diff text, what
  //    the compressors are given below.
  const uint64_t diff_bytes = rng.log_uniform(o_.diff_output_bytes.lo, o_.diff_output_bytes.hi);
  const std::string text =
      consensus_diff_text(rng, static_cast<size_t>(std::min<uint64_t>(diff_bytes, o_.precompress_sample_bytes)));
  std::vector<TrackedBuf> chunks;
  for (uint64_t done = 0; done < diff_bytes; done += o_.chunk_bytes) {
    chunks.emplace_back(t, o_.chunk_bytes);
    if (done < text.size())
      std::memcpy(chunks.back().data(), text.data() + done, std::min<size_t>(o_.chunk_bytes, text.size() - done));
  }

  // 3. consdiffmgr's compress_multiple(): the diff stored once per method of
  //    compress_diffs_with[]: flattened (NO_METHOD), then gzip, lzma and zstd
  //    by the real libraries (precompress.h).
  TrackedBuf flat(t, std::max<uint64_t>(diff_bytes, 64));
  size_t off = 0;
  for (const auto& c : chunks) {
    const size_t n = std::min<size_t>(c.capacity(), flat.capacity() - off);
    std::memcpy(flat.data() + off, c.data(), n);
    off += n;
  }
  chunks.clear();
  for (TorMethod m : kDiffMethods)
    r.outputs.push_back(tor_compress_best(t, m, text.data(), text.size(), static_cast<size_t>(diff_bytes)).buf);
  r.outputs.push_back(std::move(flat));
  lines_old.reset();
  lines_new.reset();

  for (auto& b : r.outputs) b.rebind(main_);  // freed by the main thread
  r.checksum = t.checksum();
  return r;
}

}  // namespace apw
