-- etcd v3 JSON gateway: POST /v3/kv/range of one existing key "bench-read-key".
-- Env SERIALIZABLE=true (local read, like level=none) or false (linearizable).
-- A 200 answer without "kvs" is counted in LUA_ERRORS.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  errors = 0
end
wrk.method = "POST"
wrk.path = "/v3/kv/range"
wrk.headers["Content-Type"] = "application/json"
-- "YmVuY2gtcmVhZC1rZXk=" is base64("bench-read-key")
wrk.body = '{"key":"YmVuY2gtcmVhZC1rZXk=","serializable":' .. (os.getenv("SERIALIZABLE") or "true") .. '}'
function response(status, headers, body)
  if status == 200 and not body:find('"kvs"', 1, true) then
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0)
  end
  io.write(string.format("LUA_ERRORS %d\n", e))
end
