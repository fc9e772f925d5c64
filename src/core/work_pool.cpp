#include "core/work_pool.h"

#include <atomic>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace roomplane::core {

struct WorkPool::Impl {
  explicit Impl(std::size_t threads) : pool(threads) {}
  boost::asio::thread_pool pool;
  std::atomic<bool> stopped{false};
};

WorkPool::WorkPool(std::size_t threads)
    : impl_(std::make_unique<Impl>(threads == 0 ? 1 : threads)),
      threads_(threads == 0 ? 1 : threads) {}

WorkPool::~WorkPool() {
  stop();
}

void WorkPool::post(std::function<void()> task) {
  if (impl_->stopped.load(std::memory_order_acquire)) {
    return;
  }
  boost::asio::post(impl_->pool, std::move(task));
}

void WorkPool::stop() {
  if (impl_->stopped.exchange(true)) {
    return;
  }
  impl_->pool.join();
}

}  // namespace roomplane::core
