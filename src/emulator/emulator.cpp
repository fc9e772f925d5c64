#include "emulator/emulator.h"

#include "emulator/api.h"
#include "emulator/control.h"

namespace roomplane::emulator {

Emulator::Emulator(EmulatorOptions options, const core::Clock& clock, CallbackSink& sink,
                   RequestGate& gate, observability::MetricsRegistry& metrics,
                   observability::Logger logger)
    : options_(std::move(options)),
      metrics_(metrics),
      logger_(logger),
      state_(clock, sink, options_.state, &metrics, logger),
      pool_(options_.workers) {
  while (!options_.public_base_url.empty() && options_.public_base_url.back() == '/')
    options_.public_base_url.pop_back();
  auto base_url = [this] { return this->base_url(); };
  add_twilio_routes(router_, ApiContext{state_, gate, pool_, metrics_, logger_, base_url});
  add_control_routes(router_, ControlContext{state_, pool_, logger_, base_url});
}

Emulator::~Emulator() {
  stop();
}

core::Status Emulator::start() {
  http::ServerOptions server_options;
  server_options.host = options_.host;
  server_options.port = options_.port;
  server_options.threads = options_.threads;
  server_ = std::make_unique<http::Server>(server_options, router_, metrics_, logger_);
  // Until the port is known, base_url() falls back to the configured port; requests cannot
  // arrive before start() returns the port to whoever will send them.
  auto status = server_->start();
  if (!status.ok())
    return status;
  {
    std::lock_guard lock(mutex_);
    base_url_ = options_.public_base_url.empty()
                    ? "http://" + options_.host + ":" + std::to_string(server_->port())
                    : options_.public_base_url;
    stopping_ = false;
  }
  if (options_.ticker_interval.count() > 0)
    ticker_ = std::thread([this] { run_ticker(); });
  logger_.info("emulator_started", {{"base_url", base_url()}});
  return {};
}

void Emulator::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ticker_cv_.notify_all();
  if (ticker_.joinable())
    ticker_.join();
  if (server_)
    server_->shutdown();
  pool_.stop();
}

std::uint16_t Emulator::port() const {
  return server_ ? server_->port() : 0;
}

std::string Emulator::base_url() const {
  std::lock_guard lock(mutex_);
  if (!base_url_.empty())
    return base_url_;
  if (!options_.public_base_url.empty())
    return options_.public_base_url;
  return "http://" + options_.host + ":" + std::to_string(options_.port);
}

core::Result<AccountCredentials> Emulator::create_account(const NewAccount& request) {
  return state_.create_account(request);
}

void Emulator::run_ticker() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    ticker_cv_.wait_for(lock, options_.ticker_interval, [this] { return stopping_; });
    if (stopping_)
      break;
    lock.unlock();
    state_.tick();
    lock.lock();
  }
}

}  // namespace roomplane::emulator
