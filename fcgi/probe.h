/* probe: measures Redis and the feeder heartbeat for /health; the only fcgi
 * module that includes hiredis.  Owns one synchronous connection kept across
 * FastCGI requests.  Single-threaded (the request loop).  probe_free frees it. */
#ifndef CP_PROBE_H
#define CP_PROBE_H

#include "conf.h"
#include "health.h"

struct probe;

/* A probe for the Redis server of conf (borrowed: must outlive the probe).
 * Does not connect yet.  Never returns NULL. */
struct probe *probe_new(const struct cp_conf *conf);

/* Close the connection and free probe.  probe_free(NULL) is a no-op. */
void probe_free(struct probe *probe);

/* Fill *out: connect if needed (connect and each command time out after
 * REDIS_TIMEOUT_MS; AUTH and SELECT as configured), PING for the latency,
 * INFO server for the version (once per connection), GET the heartbeat key.
 * A reused connection that turns out broken is replaced once, so an idle
 * connection Redis dropped costs no failed answer.  Never fails: what went
 * wrong is in out->error. */
void probe_run(struct probe *probe, struct health_probe *out);

#endif
