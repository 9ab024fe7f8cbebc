-- The player's heartbeat, one learner per connection (bench/run.py runs wrk with as many
-- threads as connections, so each thread's Lua state is exactly one connection's player).
--
-- Lines (same file format as paths.lua, one per learner):
--   POST \t /learn/<enrollment>/lessons/<lesson>/beat \t COOKIE \t application/json \t BODY \t X-CSRFToken: TOKEN
-- BODY is ignored: each connection sends `start` once, takes the `epoch` (and `furthest`) of its
-- answer, then sends `beat` with growing `seq` and a position advancing at real time from
-- where the learner left off (docs/online-learning.md, "Heartbeat protocol").
-- A request that fails or is not answered 200 before the epoch is known sends `start` again.
--
-- done() prints one JSON line: wrk's figures plus, summed over connections, the answers that
-- were not 200 ("non200") and the `message` of the 200 answers ("messages").
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_s()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local function split(line)
  local out = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(out, field) end
  return out
end

-- main state: hand each thread (= connection) its learner
local threads, next_conn = {}, 0
function setup(thread)
  thread:set("conn", next_conn)
  next_conn = next_conn + 1
  table.insert(threads, thread)
end

-- thread state
local method, path, headers, session
local epoch, furthest, t0 = nil, 0, nil
local seq, sent = 0, nil
non200, nstart, nbeat = 0, 0, 0
messages = {}

function init(args)
  local learners = {}
  for line in io.lines(args[1]) do
    local f = split(line)
    if #f >= 5 then table.insert(learners, f) end
  end
  local f = learners[(conn % #learners) + 1]
  method, path = f[1], f[2]
  headers = {}
  if f[3] ~= "" then headers["Cookie"] = f[3] end
  if f[4] ~= "" then headers["Content-Type"] = f[4] end
  for i = 6, #f do
    local k, v = f[i]:match("^([^:]+):%s*(.*)$")
    if k then headers[k] = v end
  end
  -- a new player (tab) per run: its own session id, so an earlier run's seq cannot make it stale
  session = string.format("bench-%s-%d", args[2] or "0", conn)
end

function request()
  seq = seq + 1
  local body
  if epoch == nil then
    sent = "start"
    nstart = nstart + 1
    body = string.format('{"event":"start","session":"%s","seq":%d,"position":%.3f,"playing":true,"visible":true}',
      session, seq, furthest)
  else
    sent = "beat"
    nbeat = nbeat + 1
    body = string.format(
      '{"event":"beat","session":"%s","seq":%d,"epoch":%d,"position":%.3f,"playing":true,"visible":true}',
      session, seq, epoch, furthest + (now_s() - t0))
  end
  return wrk.format(method, path, headers, body)
end

function response(status, hdrs, body)
  if status ~= 200 then
    non200 = non200 + 1
    return
  end
  local msg = body:match('"message":%s*"([%w_]+)"') or "?"
  messages[msg] = (messages[msg] or 0) + 1
  if sent == "start" and msg == "ok" then
    epoch = tonumber(body:match('"epoch":%s*(%d+)'))
    furthest = tonumber(body:match('"furthest":%s*([%d%.]+)')) or 0
    t0 = now_s()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad, counts, starts, beats = 0, {}, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non200") or 0)
    starts = starts + (t:get("nstart") or 0)
    beats = beats + (t:get("nbeat") or 0)
    for k, v in pairs(t:get("messages") or {}) do counts[k] = (counts[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format('"%s":%d', k, v)) end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"non200":%d,"starts":%d,"beats":%d,"messages":{%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, bad, starts, beats,
    table.concat(parts, ",")))
end
