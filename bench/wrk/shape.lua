-- wrk script for one benchmark shape.
--   wrk ... URL -s bench/wrk/shape.lua -- PATH BODY_JSON
--   wrk ... URL -s bench/wrk/shape.lua -- w1 KEYS
--   wrk ... URL -s bench/wrk/shape.lua -- w2 FLOW_ID
-- Every request is a POST of BODY_JSON to PATH, or for `w1` a POST
-- /api/artifacts/ creating a table artifact under one of KEYS keys (round
-- robin, ~200 bytes of data), or for `w2` one step of a flow run's life:
-- create it (Pending), then propose Running, then Completed, each step sent
-- only after the answer to the one before (a per-thread queue of runs
-- whose next step is due). done() prints one line "BENCHJSON {...}".

local mode, path, body, nkeys, flow_id
-- w2: runs whose next proposal is due.
local due = {}
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
  elseif args[1] == "w2" then
    mode = "w2"
    flow_id = args[2]
  else
    mode = "read"
    wrk.path = args[1]
    wrk.body = args[2]
  end
  counter = (tid or 0) * 7919
  if mode ~= "w2" then
    -- Only w2 reads answers; wrk skips keeping bodies without this hook.
    response = nil
  end
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
  if mode == "w2" then
    local step = table.remove(due, 1)
    if step == nil then
      return wrk.format(nil, "/api/flow_runs/", nil, string.format('{"flow_id":"%s"}', flow_id))
    end
    local body = string.format('{"state":{"type":"%s","name":"%s"}}', step.type, step.name)
    return wrk.format(nil, "/api/flow_runs/" .. step.id .. "/set_state", nil, body)
  end
  return wrk.format()
end

-- Connections answer in any order: a create is known by its answer's
-- shape (a flow run document starts with its id), a proposal by the state
-- it answers.
function response(status, headers, body)
  if mode ~= "w2" or body == nil then
    return
  end
  local state_type = body:match('"state":{"id":"[^"]*","type":"(%u+)"')
  local run_id = body:match('^{"id":"([0-9a-f%-]+)"')
  if run_id ~= nil and status == 201 then
    table.insert(due, {id = run_id, type = "RUNNING", name = "Running"})
  elseif state_type == "RUNNING" then
    local run = body:match('"flow_run_id":"([0-9a-f%-]+)"')
    if run ~= nil then
      table.insert(due, {id = run, type = "COMPLETED", name = "Completed"})
    end
  end
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
