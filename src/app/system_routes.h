#pragma once
// Operational endpoints: GET /healthz (the process answers), GET /readyz (the database answers;
// the provider check joins when the transport lands), GET /metrics (Prometheus text).

#include <functional>

#include "core/result.h"
#include "core/work_pool.h"
#include "http/router.h"
#include "observability/metrics.h"

namespace roomplane::app {

struct ReadinessCheck {
  std::string name;
  std::function<core::Status()> check;  // blocking; runs on the WorkPool
};

void add_system_routes(http::Router& router, core::WorkPool& pool,
                       observability::MetricsRegistry& metrics, std::vector<ReadinessCheck> checks);

}  // namespace roomplane::app
