-- wrk: logs in as a random benchmark user (argon2id-bound).
math.randomseed(os.time())
request = function()
  local body = string.format('{"login":"user_%05d","password":"benchmark passphrase 2026"}', math.random(0, 9999))
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
