-- uqlite/rqlite: POST /db/execute with one literal INSERT per request; the value differs per
-- request (thread id + counter) so no two statements are the same text.
-- Env: PATH_SUFFIX (e.g. "?queue"), VALUE_SIZE (default 16), WRK_CHECK=0 skips the body check.
-- A 200 answer whose body holds "error": is counted in LUA_ERRORS (wrk counts non-2xx itself).
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  errors = 0
  size = tonumber(os.getenv("VALUE_SIZE") or "16")
  path = "/db/execute" .. (os.getenv("PATH_SUFFIX") or "")
  headers = {["Content-Type"] = "application/json"}
end
function request()
  counter = counter + 1
  local v = tostring(id) .. "-" .. tostring(counter)
  if #v < size then
    v = v .. string.rep("x", size - #v)
  end
  return wrk.format("POST", path, headers, "[\"INSERT INTO bench(v) VALUES('" .. v .. "')\"]")
end
if os.getenv("WRK_CHECK") ~= "0" then
  function response(status, headers, body)
    if status == 200 and body:find('"error":', 1, true) then
      errors = errors + 1
    end
  end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0)
  end
  io.write(string.format("LUA_ERRORS %d\n", e))
end
