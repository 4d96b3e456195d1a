-- etcd v3 JSON gateway: POST /v3/kv/put, a new key per request, VALUE_SIZE-byte value (default 16),
-- the same size as uq_insert.lua's rows. A 200 answer without a "header" is counted in LUA_ERRORS.
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local d = {math.floor(n / 262144) % 64, math.floor(n / 4096) % 64, math.floor(n / 64) % 64, n % 64}
    out[#out + 1] = alphabet:sub(d[1] + 1, d[1] + 1) .. alphabet:sub(d[2] + 1, d[2] + 1)
    out[#out + 1] = b and alphabet:sub(d[3] + 1, d[3] + 1) or "="
    out[#out + 1] = c and alphabet:sub(d[4] + 1, d[4] + 1) or "="
  end
  return table.concat(out)
end
local common = require("wrk_common")
setup = common.setup
done = common.done
function init(args)
  counter = 0
  errors = 0
  value = base64(string.rep("v", tonumber(os.getenv("VALUE_SIZE") or "16")))
  prefix = "bench/" .. tostring(id) .. "/" .. tostring(os.time()) .. "/"
  headers = {["Content-Type"] = "application/json"}
end
function request()
  counter = counter + 1
  local body = '{"key":"' .. base64(prefix .. counter) .. '","value":"' .. value .. '"}'
  return wrk.format("POST", "/v3/kv/put", headers, body)
end
response = common.count_errors(function(body)
  return not body:find('"header"', 1, true)
end)
