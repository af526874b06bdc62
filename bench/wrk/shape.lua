-- wrk script for one benchmark shape.
--   wrk ... URL -s bench/wrk/shape.lua -- PATH BODY_JSON
--   wrk ... URL -s bench/wrk/shape.lua -- w1 KEYS
-- Every request is a POST of BODY_JSON to PATH, or for `w1` a POST
-- /api/artifacts/ creating a table artifact under one of KEYS keys (round
-- robin, ~200 bytes of data). done() prints one line "BENCHJSON {...}".

local mode, path, body, nkeys
local counter = 0
local tid = 0
local threads_seen = 0

function setup(thread)
  threads_seen = threads_seen + 1
  thread:set("tid", threads_seen)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] == "w1" then
    mode = "w1"
    nkeys = tonumber(args[2] or "1000")
    wrk.path = "/api/artifacts/"
  else
    mode = "read"
    wrk.path = args[1]
    wrk.body = args[2]
  end
  counter = (tid or 0) * 7919
end

local filler = string.rep("x", 120)

function request()
  if mode == "w1" then
    counter = counter + 1
    local k = counter % nkeys
    local b = string.format(
      '{"key":"bench-w1-%04d","type":"table","description":"bench write %d",' ..
      '"data":"[{\\"rows\\": %d, \\"pad\\": \\"%s\\"}]","metadata_":{"n":"%d"}}',
      k, counter, counter, filler, counter)
    return wrk.format(nil, nil, nil, b)
  end
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
end
