-- wrk script for `python -m bench.api`: POST new contacts, each with an email no other request used.
--
--   wrk -t2 -c8 -d15s --latency -H "Authorization: Bearer <token>" -s bench/api_wrk/create.lua \
--       http://127.0.0.1:<port> -- <inputs> <tag>
--
-- <inputs> 0: single create, POST /crm/v3/objects/contacts {"properties": {...}}
-- <inputs> N: batch create, POST /crm/v3/objects/contacts/batch/create {"inputs": [N of them]}
-- <tag>: unique per wrk run (the warm-up and the measured run differ), so emails never repeat:
--        <tag>-t<thread>-<counter>@bench.example.com
-- Every response is counted by status; `done` prints one `bench-result` line with the totals and
-- exact latency percentiles (microseconds), and a `bench-unexpected` line with the first response
-- that was not 201, which bench/api.py parses.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  inputs = tonumber(args[1])
  tag = args[2]
  counter = 0
  created = 0 -- globals: `done` reads them from each thread with thread:get
  unexpected = 0
  first_unexpected = ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.path = inputs > 0 and "/crm/v3/objects/contacts/batch/create" or "/crm/v3/objects/contacts"
end

local function contact()
  counter = counter + 1
  return string.format(
    '{"properties":{"email":"%s-t%d-%d@bench.example.com","firstname":"First%d","lastname":"Last%d"}}',
    tag, thread_id, counter, counter, counter
  )
end

function request()
  local body
  if inputs > 0 then
    local parts = {}
    for i = 1, inputs do
      parts[i] = contact()
    end
    body = '{"inputs":[' .. table.concat(parts, ",") .. "]}"
  else
    body = contact()
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = status .. " " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 400)
    end
  end
end

function done(summary, latency, requests)
  local total_created, total_unexpected, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_created = total_created + thread:get("created")
    total_unexpected = total_unexpected + thread:get("unexpected")
    if first == "" then
      first = thread:get("first_unexpected")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    "bench-result requests=%d duration_us=%d created=%d unexpected=%d connect=%d read=%d write=%d timeout=%d "
      .. "p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, total_created, total_unexpected, errors.connect, errors.read,
    errors.write, errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max
  ))
  io.write("bench-unexpected " .. first .. "\n")
end
