-- wrk: each request takes a random line of the file named by LINES, either as
-- a path (PATH_PREFIX .. line) or, with BODY=1, as a JSON body to POST.
local lines = {}
local prefix = os.getenv("PATH_PREFIX") or ""
local as_body = os.getenv("BODY") == "1"
local token = os.getenv("TOKEN")

for line in io.lines(os.getenv("LINES")) do
  lines[#lines + 1] = line
end
math.randomseed(os.time())

request = function()
  local line = lines[math.random(#lines)]
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  if as_body then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", prefix, headers, line)
  end
  return wrk.format("GET", prefix .. line, headers)
end
