#pragma once
// A fixed pool of threads for blocking work (database calls, file I/O). I/O threads hand work
// here and never block themselves. Created by the composition root; stopped after the HTTP
// server has drained, before the store closes.

#include <cstddef>
#include <functional>
#include <memory>

namespace roomplane::core {

class WorkPool {
 public:
  explicit WorkPool(std::size_t threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Thread-safe. Tasks posted after stop() are dropped.
  void post(std::function<void()> task);

  // Waits for queued tasks to finish, then joins the threads. Idempotent.
  void stop();

  std::size_t size() const { return threads_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t threads_;
};

}  // namespace roomplane::core
