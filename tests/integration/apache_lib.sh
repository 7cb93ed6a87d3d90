# Shared by 65-proxy-apache.sh and 67-proxy-health-checks.sh: the shipped
# Apache site (apache/cryptopulse.conf from the build tree, its Define lines
# pointed at the test ports) in a private Debian apache2 (own ServerRoot,
# config and loopback port; not the system service).  Source after lib.sh and
# proxy_lib.sh, call start_stack first.

APACHE=${APACHE2:-$(command -v apache2 || echo /usr/sbin/apache2)}
MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
[ -x "$APACHE" ] || skip "apache2 not installed (scripts/install-deps.sh installs it)"
[ -f "$MODULES/mod_proxy_balancer.so" ] || skip "no Apache modules in $MODULES"
[ -f "$MODULES/mod_proxy_hcheck.so" ] || skip "no mod_proxy_hcheck in $MODULES"
SITE=$top_builddir/apache/cryptopulse.conf
[ -f "$SITE" ] || fail "$SITE not built (make)"

# start_apache [EXTRA_SED_ARGS...]: write $ROOT/site.conf and httpd.conf and
# start Apache on a free port; sets APORT, ROOT, BASE and apache_PID.  The
# test's httpd.conf also serves /balancer-manager (from 127.0.0.1 only) so
# that a test can read each balancer member's state.
start_apache() {
    APORT=$(free_port)
    ROOT=$WORK/apache
    mkdir -p "$ROOT/run"
    sed -e "s|^Define cryptopulse_vhost .*|Define cryptopulse_vhost 127.0.0.1:$APORT|" \
        -e "s|^Define cryptopulse_gateway1 .*|Define cryptopulse_gateway1 127.0.0.1:$GW1_PORT|" \
        -e "s|^Define cryptopulse_gateway2 .*|Define cryptopulse_gateway2 127.0.0.2:$GW2_PORT|" \
        -e "s|^Define cryptopulse_gateway1_route .*|Define cryptopulse_gateway1_route $GW1_PORT|" \
        -e "s|^Define cryptopulse_gateway2_route .*|Define cryptopulse_gateway2_route $GW2_PORT|" \
        -e "s|^Define cryptopulse_fcgi .*|Define cryptopulse_fcgi 127.0.0.1:$FCGI_PORT|" \
        -e "s|^Define cryptopulse_www .*|Define cryptopulse_www $top_srcdir/www|" \
        -e "s|^Define cryptopulse_env .*|Define cryptopulse_env $ENV_FILE|" \
        -e "s|\"[^\" ]*/cryptopulse-fcgi\"|\"$FCGI_BIN\"|" \
        "$@" "$SITE" >"$ROOT/site.conf"
    grep -q "$FCGI_PORT" "$ROOT/site.conf" || fail "could not point $SITE at the test ports"

    {
        # Modules as Debian's a2enmod would enable them (the README's list);
        # the MPM Debian uses.
        local builtin m
        builtin=$("$APACHE" -l)
        for m in mpm_event authz_core authz_host alias dir mime headers deflate filter \
                 setenvif env proxy proxy_http proxy_balancer slotmem_shm lbmethod_byrequests \
                 lbmethod_bybusyness watchdog proxy_hcheck proxy_fcgi cgid log_config; do
            grep -q "mod_$m\.c" <<<"$builtin" || echo "LoadModule ${m}_module $MODULES/mod_$m.so"
        done
        cat <<CONF
ServerRoot "$ROOT"
ServerName 127.0.0.1
Listen 127.0.0.1:$APORT
PidFile "$ROOT/run/httpd.pid"
DefaultRuntimeDir "$ROOT/run"
ScriptSock "$ROOT/run/cgid.sock"
ErrorLog "$WORK/apache.log"
LogLevel warn proxy_hcheck:info
LogFormat "%h \"%r\" %>s %b %D" short
CustomLog "$WORK/apache-access.log" short
TypesConfig /etc/mime.types
KeepAlive On
StartServers 1
ServerLimit 2
ThreadsPerChild 64
MaxRequestWorkers 128
# As in Debian's apache2.conf: nothing is served unless a site allows it.
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
Include "$ROOT/site.conf"
# Inherited by the site's virtual host, whose balancers it shows.
<Location "/balancer-manager">
    SetHandler balancer-manager
    Require ip 127.0.0.1
</Location>
CONF
    } >"$ROOT/httpd.conf"

    "$APACHE" -t -f "$ROOT/httpd.conf" -d "$ROOT" >>"$WORK/apache.log" 2>&1 ||
        fail "apache2 -t refused the configuration: $(tail -n 5 "$WORK/apache.log")"
    start apache "$APACHE" -f "$ROOT/httpd.conf" -d "$ROOT" -DFOREGROUND
    BASE=http://127.0.0.1:$APORT
    wait_for 10 curl -sf -o /dev/null "$BASE/health" ||
        fail "Apache did not answer /health on $APORT"
    echo "Apache $("$APACHE" -v | sed -n 's/^Server version: //p') on $APORT," \
        "gateways on 127.0.0.1:$GW1_PORT and 127.0.0.2:$GW2_PORT, cryptopulse-fcgi on $FCGI_PORT"
}

# start_backfilled_site CSV: Redis with the candles of `cryptopulse-feeder
# --backfill CSV` and the feed's 14 symbols, one gateway, cryptopulse-fcgi and
# the shipped site in Apache, no feeder running (its heartbeat is set once,
# for the site's /health check).  Sets ENV_FILE, GW1_PORT and what
# start_apache sets.
start_backfilled_site() {
    start_redis
    ENV_FILE=$WORK/cryptopulse.env
    printf '%s\n' "REDIS_PORT=$REDIS_PORT" "LOG_LEVEL=warn" >"$ENV_FILE"
    chmod 644 "$ENV_FILE"
    within 120 "$top_builddir/feeder/cryptopulse-feeder" --backfill "$1" --config "$ENV_FILE" \
        >"$WORK/backfill.log" 2>&1 || fail "--backfill exited $?"
    redis-cli -p "$REDIS_PORT" SET cryptopulse:symbols \
        BTC,ETH,SOL,BNB,XRP,ADA,DOGE,AVAX,DOT,LINK,LTC,MATIC,USDT,USDC >/dev/null
    start_gateway --config "$ENV_FILE"
    GW1_PORT=$GATEWAY_PORT
    GW2_PORT=$(free_port) # the site's second gateway: absent, its health check takes it out
    start_fcgi "$ENV_FILE"
    redis-cli -p "$REDIS_PORT" SET cryptopulse:feeder:heartbeat "$(now_ms)" >/dev/null
    start_apache
}
