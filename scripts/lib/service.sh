# shellcheck shell=bash
# A scratch Stockroom for the scripts that test or measure it from outside (bench.sh,
# conformance.sh, soak.sh). Source after common.sh, once ensure_postgres and ensure_mongodb
# have run:
#
#   start_scratch_service BIN PORT TAG    # fresh database stockroom_TAG_<pid>, serve on PORT
#   login_token EMAIL PASSWORD            # prints an access token
#   create_admin_token EMAIL PASSWORD     # creates an admin with the CLI, prints a token
#   ensure_wrk                            # installs wrk and curl when missing (load scripts)
#
# start_scratch_service exports DATABASE_URL, MONGODB_URL, MONGODB_DATABASE, JWT_SECRET and
# AUDIT_SIGNING_KEY (random), BIND_ADDR; sets SERVER_PID, BASE and SERVER_LOG; registers the cleanup (stop the
# service, drop the database). Extra settings come from the caller's environment (e.g.
# RATE_LIMIT_*_PER_MINUTE, DATABASE_POOL_SIZE, RUST_LOG).

start_scratch_service() { # BIN PORT TAG
    local bin="$1" port="$2" tag="$3" db
    db="stockroom_${tag}_$$"
    psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
    register_cleanup psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"

    export DATABASE_URL MONGODB_URL MONGODB_DATABASE JWT_SECRET AUDIT_SIGNING_KEY BIND_ADDR LOG_FORMAT RUST_LOG
    DATABASE_URL="$(pg_url_with_db "$TEST_DATABASE_URL" "$db")"
    MONGODB_URL="$TEST_MONGODB_URL"
    MONGODB_DATABASE="$db"
    JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    AUDIT_SIGNING_KEY="$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
    BIND_ADDR="127.0.0.1:$port"
    LOG_FORMAT=json
    RUST_LOG="${RUST_LOG:-warn}"
    BASE="http://127.0.0.1:$port"
    SERVER_LOG="$TMP_DIR/$tag-server.log"

    "$bin" serve >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    register_cleanup kill "$SERVER_PID"
    local _
    for _ in $(seq 1 150); do
        curl -fsS "$BASE/health/ready" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    tail -n 20 "$SERVER_LOG" >&2 || true
    die "the service did not become ready (log: $SERVER_LOG)"
}

login_token() { # EMAIL PASSWORD
    curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$2\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

create_admin_token() { # EMAIL PASSWORD (the binary is $BIN)
    STOCKROOM_ADMIN_PASSWORD="$2" "$BIN" create-admin --email "$1" >/dev/null
    login_token "$1" "$2"
}

# fill_product_cache TOKEN CONNECTIONS SECONDS: seeds 60,000 products with 600-byte
# descriptions in the first category (more than PRODUCT_CACHE_MIB's default holds) and reads
# each through $BASE, in turn, so the product cache is full at its budget.
fill_product_cache() {
    local ids="$TMP_DIR/cache-fill-ids" lua="$TMP_DIR/cache-fill.lua"
    psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO products (id, name, description, sku, price, stock_quantity, category_id)
SELECT gen_random_uuid(), 'Filler ' || lpad(g::text, 6, '0'), repeat('d', 600), 'FILL-' || g,
       9.99, 1, (SELECT id FROM categories ORDER BY name LIMIT 1)
FROM generate_series(1, 60000) g;
SQL
    psql "$DATABASE_URL" -AtqX -c "SELECT id FROM products WHERE sku LIKE 'FILL-%'" >"$ids"
    cat >"$lua" <<LUA
local ids = {}
for line in io.lines("$ids") do ids[#ids + 1] = line end
local next_id = 0
request = function()
    next_id = next_id % #ids + 1
    return wrk.format("GET", "/api/v1/products/" .. ids[next_id])
end
LUA
    wrk -t2 -c"$2" -d"$3s" -H "Authorization: Bearer $1" -s "$lua" "$BASE" >/dev/null
}

# cache_usage: the product cache's entries and bytes, from $BASE/metrics.
cache_usage() { curl -fsS "$BASE/metrics" | awk '/^product_cache_(entries|bytes) / { printf "%s %s  ", $1, $2 }'; }

ensure_wrk() {
    command -v wrk >/dev/null 2>&1 || { log "installing wrk"; as_root apt-get install -y wrk >/dev/null || { as_root apt-get update && as_root apt-get install -y wrk; }; }
    command -v curl >/dev/null 2>&1 || as_root apt-get install -y curl >/dev/null
}
