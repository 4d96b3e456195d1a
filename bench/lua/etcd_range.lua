-- etcd v3 JSON gateway: POST /v3/kv/range of one existing key "bench-read-key".
-- Env SERIALIZABLE=true (local read, like level=none) or false (linearizable).
-- A 200 answer without "kvs" is counted in LUA_ERRORS.
local common = require("wrk_common")
setup = common.setup
done = common.done
function init(args)
  errors = 0
end
wrk.method = "POST"
wrk.path = "/v3/kv/range"
wrk.headers["Content-Type"] = "application/json"
-- "YmVuY2gtcmVhZC1rZXk=" is base64("bench-read-key")
wrk.body = '{"key":"YmVuY2gtcmVhZC1rZXk=","serializable":' .. (os.getenv("SERIALIZABLE") or "true") .. '}'
response = common.count_errors(function(body)
  return not body:find('"kvs"', 1, true)
end)
