-- One JSON POST repeated, for wrk: WRK_PATH, WRK_BODY and WRK_AUTH (a Bearer key) from the
-- environment. Prints p50/p99 and the count of non-2xx answers, which must be 0 for the run to
-- count.
local path = os.getenv("WRK_PATH")
local body = os.getenv("WRK_BODY")
local auth = os.getenv("WRK_AUTH")

function init(args)
  req = wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. auth,
  }, body)
end

function request()
  return req
end

function done(summary, latency, requests_)
  io.write(string.format("non_2xx %d\n", summary.errors.status))
  io.write(string.format("p50_ms %.3f\np99_ms %.3f\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
