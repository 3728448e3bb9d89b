-- POST /token with a JSON username and password: the password path. The users load0 to
-- load(N-1), N from $USERS (default 1), in turn: each login is counted against its own
-- username's limit, as many users signing in at once are.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local users = tonumber(os.getenv("USERS") or "1")
local n = 0
request = function()
    n = n + 1
    local body = '{"username":"load' .. (n % users) .. '","password":"correct horse battery"}'
    return wrk.format(nil, nil, nil, body)
end
