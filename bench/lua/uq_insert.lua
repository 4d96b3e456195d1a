-- uqlite/rqlite: POST /db/execute with one literal INSERT per request; the value differs per
-- request (thread id + counter) so no two statements are the same text.
-- Env: PATH_SUFFIX (e.g. "?queue"), VALUE_SIZE (default 16), WRK_CHECK=0 skips the body check.
-- A 200 answer whose body holds "error": is counted in LUA_ERRORS (wrk counts non-2xx itself).
local common = require("wrk_common")
setup = common.setup
done = common.done
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
common.count_rqlite_errors()
