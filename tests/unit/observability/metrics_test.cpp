#include "observability/metrics.h"

#include <gtest/gtest.h>

namespace roomplane::observability {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistograms) {
  MetricsRegistry registry;
  registry.counter("requests_total", "Requests.", {{"route", "/healthz"}, {"status", "200"}}).inc();
  registry.counter("requests_total", "Requests.", {{"route", "/healthz"}, {"status", "200"}})
      .inc(2);
  registry.gauge("connections", "Open connections.").set(3);
  auto& h = registry.histogram("latency_seconds", "Latency.", {{"route", "/x"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const auto text = registry.render();
  EXPECT_NE(text.find("# TYPE requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("requests_total{route=\"/healthz\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("connections 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 3\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.counter("c", "C.", {{"path", "a\"b\\c"}}).inc();
  EXPECT_NE(registry.render().find(R"(c{path="a\"b\\c"} 1)"), std::string::npos);
}

TEST(Metrics, SameNameDifferentTypeIsAProgrammingError) {
  MetricsRegistry registry;
  registry.counter("x", "X.");
  EXPECT_THROW(registry.gauge("x", "X."), std::logic_error);
}

}  // namespace
}  // namespace roomplane::observability
