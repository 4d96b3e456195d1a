-- Shared by the wrk scripts here (compare.sh puts this folder on LUA_PATH): the thread list and
-- ids, counting 200 answers whose body shows a failure, and the LUA_ERRORS line compare.sh reads.
local M = {}
local threads = {}

-- wrk's setup(): give each thread an id and remember it for done().
function M.setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- A wrk response() that counts a 200 answer as an error when failed(body) is true (wrk counts
-- non-2xx answers itself). Needs a global `errors` set to 0 in init().
function M.count_errors(failed)
  return function(status, headers, body)
    if status == 200 and failed(body) then
      errors = errors + 1
    end
  end
end

-- The check for rqlite's data API: a 200 whose body holds "error": failed. WRK_CHECK=0 turns it
-- off (no response() at all, so wrk does not parse bodies).
function M.count_rqlite_errors()
  if os.getenv("WRK_CHECK") ~= "0" then
    response = M.count_errors(function(body)
      return body:find('"error":', 1, true)
    end)
  end
end

-- wrk's done(): the sum of every thread's errors, as one line.
function M.done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do
    e = e + (t:get("errors") or 0)
  end
  io.write(string.format("LUA_ERRORS %d\n", e))
end

return M
