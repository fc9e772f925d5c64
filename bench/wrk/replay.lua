-- Replays pre-signed requests from a file for wrk: one request per line,
-- "<path>\t<X-Twilio-Signature>\t<form body>" (bench/webhook_fixture.cpp writes them).
-- Each wrk thread takes its own slice of the lines (line i goes to thread i mod threads), so no
-- two threads send the same callback, and each thread sends its lines in order. A thread that
-- runs out starts over, and those requests are replays: done() reports how many, so a run that
-- replayed is visible in the output instead of silently measuring the duplicate path.
local file = os.getenv("WRK_REQUESTS")
local threads_total = tonumber(os.getenv("WRK_THREADS") or "2")
local counter = 0
local all_threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(all_threads, thread)
end

function init(args)
  requests = {}
  local i = 0
  for line in io.lines(file) do
    if i % threads_total == id then
      local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    i = i + 1
  end
  next_index = 1
  replayed = 0
end

function request()
  local r = requests[next_index]
  next_index = next_index + 1
  if next_index > #requests then
    next_index = 1
    replayed = replayed + #requests
  end
  return r
end

function done(summary, latency, requests_)
  local total_replayed = 0
  for _, thread in ipairs(all_threads) do
    total_replayed = total_replayed + (thread:get("replayed") or 0)
  end
  io.write(string.format("replayed_requests %d\n", total_replayed))
  io.write(string.format("non_2xx %d\n", summary.errors.status))
  io.write(string.format("p50_ms %.3f\np99_ms %.3f\n", latency:percentile(50) / 1000,
                         latency:percentile(99) / 1000))
end
