-- Replays requests from a file of tab-separated lines: METHOD \t PATH \t COOKIE \t CONTENT-TYPE \t BODY
-- [\t Name: value ...] (cookie, content type and body may be empty; each further column is one
-- extra header); picks one at random per request.
-- done() prints one JSON line with throughput and latency percentiles for bench/run.py.
local reqs = {}

function init(args)
  local file = args[1]
  for line in io.lines(file) do
    local f = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(f, field) end
    if #f >= 5 then
      local m, p, c, ct, b = f[1], f[2], f[3], f[4], f[5]
      local headers = {}
      if c ~= "" then headers["Cookie"] = c end
      if ct ~= "" then headers["Content-Type"] = ct end
      for i = 6, #f do
        local k, v = f[i]:match("^([^:]+):%s*(.*)$")
        if k then headers[k] = v end
      end
      table.insert(reqs, wrk.format(m, p, headers, b ~= "" and b or nil))
    end
  end
  math.randomseed(os.time() + (tonumber(args[2]) or 0))
end

function request()
  return reqs[math.random(#reqs)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
