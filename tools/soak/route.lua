-- One route of the soak (scripts/soak.sh runs one wrk process per route, so each wrk
-- latency histogram is that route's own). Settings come from the environment:
--   SOAK_ROUTE          which route (see `routes` below)
--   SOAK_DELAY_MS       pause before each request on a connection (a steady, not maximal, load)
--   SOAK_USER_TOKEN, SOAK_ADMIN_TOKEN, SOAK_USER_EMAIL, SOAK_USER_PASSWORD
--   SOAK_PRODUCT_IDS, SOAK_CATEGORY_IDS   files with one id per line
-- done() prints one line: the route, request count, status classes, socket errors and
-- latency percentiles; soak.sh parses it.

local route = os.getenv("SOAK_ROUTE")
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
local user_auth = "Bearer " .. (os.getenv("SOAK_USER_TOKEN") or "")
local admin_auth = "Bearer " .. (os.getenv("SOAK_ADMIN_TOKEN") or "")

local function read_lines(path)
    local lines = {}
    for line in io.lines(path) do lines[#lines + 1] = line end
    return lines
end

local product_ids, category_ids = {}, {}
local sorts = { "name", "-name", "price", "-price", "created_at", "-created_at" }
local actions = { "product.stock_adjusted", "product.updated", "product.created", "auth.login_succeeded" }
local created = 0

local function pick(list) return list[math.random(#list)] end

local function get(path, auth)
    return wrk.format("GET", path, { ["Authorization"] = auth })
end

local function send_json(method, path, auth, body)
    local headers = { ["Content-Type"] = "application/json" }
    if auth then headers["Authorization"] = auth end
    return wrk.format(method, path, headers, body)
end

local routes = {
    login = function()
        return send_json("POST", "/api/v1/auth/login", nil,
            string.format('{"email":"%s","password":"%s"}',
                os.getenv("SOAK_USER_EMAIL"), os.getenv("SOAK_USER_PASSWORD")))
    end,
    users_me = function() return get("/api/v1/users/me", user_auth) end,
    get_product = function() return get("/api/v1/products/" .. pick(product_ids), user_auth) end,
    list_products = function()
        return get(string.format("/api/v1/products?limit=20&skip=%d&sort=%s",
            20 * math.random(0, 20), pick(sorts)), user_auth)
    end,
    search_products = function()
        return get(string.format("/api/v1/products?q=%d&limit=20&in_stock=true", math.random(10, 999)), user_auth)
    end,
    create_product = function()
        created = created + 1
        return send_json("POST", "/api/v1/products", admin_auth, string.format(
            '{"name":"Soak new %d","sku":"SOAK-%d-%d","price":"%d.%02d","stock_quantity":100,"category_id":"%s"}',
            created, run_id, created, math.random(1, 500), math.random(0, 99), pick(category_ids)))
    end,
    patch_product = function()
        return send_json("PATCH", "/api/v1/products/" .. pick(product_ids), admin_auth,
            string.format('{"price":"%d.%02d"}', math.random(1, 500), math.random(0, 99)))
    end,
    adjust_stock = function()
        local delta = math.random(-3, 5)
        if delta == 0 then delta = 1 end
        return send_json("POST", "/api/v1/products/" .. pick(product_ids) .. "/stock-adjustments", admin_auth,
            string.format('{"delta":%d,"reason":"soak restock"}', delta))
    end,
    audit_events = function()
        if math.random(2) == 1 then
            return get("/api/v1/audit-events?target_type=product&limit=20&target_id=" .. pick(product_ids), admin_auth)
        end
        return get("/api/v1/audit-events?limit=20&action=" .. pick(actions), admin_auth)
    end,
}

local threads = {}

function setup(thread)
    threads[#threads + 1] = thread
end

function init(args)
    if routes[route] == nil then error("unknown SOAK_ROUTE " .. tostring(route)) end
    run_id = os.time()
    math.randomseed(run_id + #route * 7919 + string.byte(route, 1))
    product_ids = read_lines(os.getenv("SOAK_PRODUCT_IDS"))
    category_ids = read_lines(os.getenv("SOAK_CATEGORY_IDS"))
    s2xx, s4xx, s5xx, other = 0, 0, 0, 0
end

request = function() return routes[route]() end

function delay()
    return delay_ms
end

function response(status)
    if status >= 500 then s5xx = s5xx + 1
    elseif status >= 400 then s4xx = s4xx + 1
    elseif status >= 200 and status < 300 then s2xx = s2xx + 1
    else other = other + 1 end
end

function done(summary, latency)
    local counts = { s2xx = 0, s4xx = 0, s5xx = 0, other = 0 }
    for _, thread in ipairs(threads) do
        for name in pairs(counts) do counts[name] = counts[name] + (thread:get(name) or 0) end
    end
    local e = summary.errors
    io.write(string.format(
        "SOAK route=%s requests=%d 2xx=%d 4xx=%d 5xx=%d other=%d socket_errors=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
        route, summary.requests, counts.s2xx, counts.s4xx, counts.s5xx, counts.other,
        e.connect + e.read + e.write + e.timeout,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
