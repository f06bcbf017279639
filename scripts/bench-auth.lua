-- wrk script for scripts/bench-auth.sh: GET PREFIX/{random id from IDS_FILE} with one optional header.
local prefix = os.getenv("PATH_PREFIX") or "/admin/customers/"
local header = os.getenv("AUTH_HEADER")
local headers = {}
if header and header ~= "" then
  local name, value = header:match("^([^:]+):%s*(.*)$")
  headers[name] = value
end
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
request = function()
  return wrk.format("GET", prefix .. ids[math.random(#ids)], headers)
end
