-- The soak test's request mix, chosen by $SOAK_MIX: refresh (session cookie in $COOKIE), login
-- (password), exchange (ID token in $ID_TOKEN) or bad (malformed requests of every kind).
-- Every mix counts the 5xx answers and prints "server_errors N" when done.
local mix = os.getenv("SOAK_MIX")
local bad = {
    {"POST", "/token", {["Content-Type"] = "application/json"}, '{"username":"soak","password":'},
    {"POST", "/token", {["Content-Type"] = "application/json"}, '{"username":"\255\254","password":"x"}'},
    {"POST", "/token", {["Content-Type"] = "text/plain"}, "username=soak"},
    {"POST", "/token", {["Content-Type"] = "application/x-www-form-urlencoded"}, "username=%ZZ&password"},
    {"POST", "/token", {["Authorization"] = "Basic !!!"}, nil},
    {"POST", "/token", {["Authorization"] = "Bearer not.a.token"}, nil},
    {"POST", "/token", {["Cookie"] = "__Host-twilio-token-session=forged.value"}, nil},
    {"POST", "/token", {["Content-Type"] = "application/json"}, string.rep("x", 8000)},
    {"GET", "/token", {}, nil},
    {"POST", "/logout", {}, nil},
    {"GET", "/nowhere", {}, nil},
}
local i = 0

function request()
    if mix == "refresh" then
        return wrk.format("POST", "/token", {["Cookie"] = os.getenv("COOKIE")})
    elseif mix == "login" then
        return wrk.format("POST", "/token", {["Content-Type"] = "application/json"},
            '{"username":"soak","password":"soak password 1"}')
    elseif mix == "exchange" then
        return wrk.format("POST", "/token", {["Authorization"] = "Bearer " .. os.getenv("ID_TOKEN")})
    end
    i = i + 1
    local r = bad[(i % #bad) + 1]
    return wrk.format(r[1], r[2], r[3], r[4])
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) server_errors = 0 end
function response(status, headers, body)
    if status >= 500 and status ~= 503 then server_errors = server_errors + 1 end
end
function done(summary, latency, requests)
    local n = 0
    for _, t in ipairs(threads) do n = n + t:get("server_errors") end
    io.write(string.format("server_errors %d\n", n))
end
