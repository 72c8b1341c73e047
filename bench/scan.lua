-- wrk script: every request scans a distinct ticket (or the same one with HOT=1) with a fresh
-- scan_id, round-robin over the paired devices' tokens.
local codes, tokens = {}, {}
local counter, step = 0, 1
local thread_index = 0

function setup(thread)
  thread:set("tindex", thread_index)
  thread_index = thread_index + 1
end

function init(args)
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  for line in io.lines(args[2]) do tokens[#tokens + 1] = line end
  step = tonumber(args[3])
  counter = tindex
  math.randomseed(os.time() * 1000 + tindex)
end

local function uuid4()
  return string.format("%04x%04x-%04x-4%03x-a%03x-%04x%04x%04x",
    math.random(0, 0xffff), math.random(0, 0xffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0, 0xfff), math.random(0, 0xffff), math.random(0, 0xffff), math.random(0, 0xffff))
end

function request()
  counter = counter + step
  local code = codes[(counter % #codes) + 1]
  local token = tokens[(counter % #tokens) + 1]
  local body = '{"code":"' .. code .. '","direction":"in","scan_id":"' .. uuid4() .. '"}'
  return wrk.format("POST", "/api/v1/scan",
    {["Content-Type"] = "application/json", ["Authorization"] = "Device " .. token}, body)
end
