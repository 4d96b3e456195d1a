-- uqlite/rqlite: POST /db/query with a point SELECT by primary key, id uniform in [1, ROWS].
-- Env: ROWS (default 10000), LEVEL (e.g. none; empty = server default), WRK_CHECK=0 skips the
-- body check. A 200 answer whose body holds "error": is counted in LUA_ERRORS.
local common = require("wrk_common")
setup = common.setup
done = common.done
function init(args)
  errors = 0
  rows = tonumber(os.getenv("ROWS") or "10000")
  local level = os.getenv("LEVEL") or ""
  path = "/db/query" .. (level ~= "" and ("?level=" .. level) or "")
  headers = {["Content-Type"] = "application/json"}
  math.randomseed(1000 + id)
end
function request()
  local key = math.random(1, rows)
  return wrk.format("POST", path, headers, "[\"SELECT id, v FROM bench WHERE id=" .. key .. "\"]")
end
common.count_rqlite_errors()
