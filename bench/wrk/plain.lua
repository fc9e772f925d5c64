-- Prints p50/p99 and non-2xx for a plain GET run (the nginx baseline).
function done(summary, latency, requests_)
  io.write(string.format("non_2xx %d\n", summary.errors.status))
  io.write(string.format("p50_ms %.3f\np99_ms %.3f\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
