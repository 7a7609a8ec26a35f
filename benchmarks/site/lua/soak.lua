-- wrk script for make soak: every connection cycles through a mix of requests (gzip and zstd
-- clients, the CSV export, bulk POSTs) and the non-2xx answers are counted per kind.
-- Run with as many threads as connections. Arguments (after --): the bulk POST body file, rows
-- per CSV export, and optionally a comma list of the kinds to send (default: all).
local kinds = {}
local reqs = {}
counts = {}  -- globals: done() reads them from each thread
bad = {}
local idx = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local bulk_body = f:read("*a")
  f:close()
  local csv_rows = args[2] or "2000"
  local gz = { ["Accept-Encoding"] = "gzip" }
  local zs = { ["Accept-Encoding"] = "gzip, deflate, br, zstd" }
  local mix = {
    { "cached-gzip", "GET", "/cached/", gz },
    { "cached-zstd", "GET", "/cached/", zs },
    { "unique-gzip", "GET", "/unique/", gz },
    { "unique-zstd", "GET", "/unique/", zs },
    { "json1m-gzip", "GET", "/api/big/", gz },
    { "json2k-zstd", "GET", "/api/small/", zs },
    { "json2k-gzip", "GET", "/api/small/", gz },
    { "csv-gzip", "GET", "/export.csv?rows=" .. csv_rows, gz },
    { "csv-zstd", "GET", "/export.csv?rows=" .. csv_rows, zs },
    { "bulk-post", "POST", "/bulk/",
      { ["Content-Type"] = "application/json", ["Accept-Encoding"] = "gzip" }, bulk_body },
  }
  local only = args[3] or ""
  for _, m in ipairs(mix) do
    if only == "" or string.find("," .. only .. ",", "," .. m[1] .. ",", 1, true) then
      table.insert(kinds, m[1])
      table.insert(reqs, wrk.format(m[2], m[3], m[4], m[5]))
      counts[m[1]] = 0
      bad[m[1]] = 0
    end
  end
  assert(#reqs > 0, "no request kind selected")
  idx = math.random(#reqs) - 1
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function response(status, headers, body)
  -- the soak runs one connection per wrk thread (-t = -c), and wrk keeps one request in
  -- flight per connection: this response answers the request last built by this thread
  local kind = kinds[idx]
  counts[kind] = counts[kind] + 1
  if status < 200 or status > 299 then
    bad[kind] = bad[kind] + 1
  end
end

done = function(summary, latency, requests)
  local total = {}
  local nonok = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do total[k] = (total[k] or 0) + v end
    for k, v in pairs(t:get("bad")) do nonok[k] = (nonok[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do
    table.insert(parts, string.format('"%s": [%d, %d]', k, v, nonok[k] or 0))
  end
  local e = summary.errors
  io.write(string.format(
    'E2E-JSON {"requests": %d, "bytes": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, ' ..
    '"kinds": {%s}}\n',
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.mean,
    table.concat(parts, ", ")))
end
