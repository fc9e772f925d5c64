#include "app/emulator_stack.h"

#include "emulator/fault_routes.h"

namespace roomplane::app {
namespace {

emulator::EmulatorOptions emulator_options(const EmulatorStackOptions& options) {
  emulator::EmulatorOptions out;
  out.host = options.listen.host;
  out.port = options.listen.port;
  out.public_base_url = options.public_base_url;
  out.state.seed = options.seed;
  return out;
}

}  // namespace

EmulatorStack::EmulatorStack(const EmulatorStackOptions& options, const core::Clock& clock,
                             http::HttpClient& callback_client,
                             observability::MetricsRegistry& metrics,
                             const observability::Logging& logging)
    : faults_(metrics),
      dispatcher_(callback_client, metrics, logging.logger("emulator.callbacks")),
      emulator_(emulator_options(options), clock, dispatcher_, faults_, metrics,
                logging.logger("emulator")) {
  if (options.seed) {
    faults_.configure(*options.seed, {});
    dispatcher_.set_faults(*options.seed, {});
  }
  emulator::add_fault_routes(emulator_.router(), emulator_.pool(), faults_, dispatcher_);
}

EmulatorStack::~EmulatorStack() {
  stop();
}

core::Status EmulatorStack::start() {
  dispatcher_.start();
  return emulator_.start();
}

void EmulatorStack::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  emulator_.stop();
  dispatcher_.stop();
}

}  // namespace roomplane::app
