/* summary: the progress line, the table and the JSON line; see summary.h. */
#include "config.h"

#include "summary.h"

#include "reports.h"
#include "verdict.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static json_t *pct_json(const struct lstats_hist *h, bool avg)
{
    json_t *j =
        json_pack("{s:f, s:f, s:f, s:f, s:I}", "p50", ms(lstats_hist_percentile(h, 50)), "p95",
                  ms(lstats_hist_percentile(h, 95)), "p99", ms(lstats_hist_percentile(h, 99)),
                  "max", ms(h->max), "samples", (json_int_t)h->count);
    if (avg)
        json_object_set_new(j, "avg", json_real(lstats_hist_mean(h) / 1000.0));
    return j;
}

static const char *transport_name(const struct load_opts *o)
{
    if (o->transport == LOAD_SSE)
        return "sse";
    if (o->transport == LOAD_SIO)
        return o->deflate ? "socketio+deflate" : "socketio";
    return o->deflate ? "websocket+deflate" : "websocket";
}

/* Clients resume by tick id unless they subscribe to nothing (--subscribe
 * none: a peer whose subscription is its URL, with no resume to ask for). */
static bool storm_resumes(const struct load_opts *o)
{
    return o->sub != LOAD_SUB_NONE;
}

/* The storm held when clients dropped, every one came back live and no
 * resume had to fall back to a snapshot. */
static bool storm_ok(const struct load_report *m)
{
    return m->storm_drops > 0 && m->storm_back == m->storm_drops && m->storm_gaps == 0;
}

/* ms from the first drop until share (0-1] of the dropped clients were live
 * again (nearest rank), or -1 when fewer came back. */
static double storm_live_ms(const struct load_opts *o, const struct load_report *m, double share)
{
    uint64_t rank = (uint64_t)ceil(share * (double)m->storm_drops);
    if (!m->storm_drops || rank > m->storm_back || !rank)
        return -1;
    double p = (double)rank * 100.0 / (double)m->storm_back - 1e-9;
    uint64_t at = lstats_hist_percentile(&m->storm_back_ms, p > 100 ? 100 : p);
    return (double)at;
}

static json_t *storm_json(const struct load_opts *o, const struct load_report *m)
{
    double t99 = storm_live_ms(o, m, 0.99), t100 = storm_live_ms(o, m, 1.0);
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:o, s:b}", "drops",
                     (json_int_t)m->storm_drops, "back", (json_int_t)m->storm_back, "attempts",
                     (json_int_t)m->storm_attempts, "failed_attempts", (json_int_t)m->storm_failed,
                     "ticks_missed",
                     storm_resumes(o) ? json_integer((json_int_t)m->storm_gaps) : json_null(),
                     "live_99_ms", t99 < 0 ? json_null() : json_real(t99), "live_100_ms",
                     t100 < 0 ? json_null() : json_real(t100), "first_drop_ms",
                     (json_int_t)m->storm_first_drop_ms, "connect_ms",
                     pct_json(&m->storm_connect_us, false), "pass", storm_ok(m));
}

static void storm_print(FILE *out, const struct load_opts *o, const struct load_report *m)
{
    fprintf(out,
            "  %-14s %llu dropped, %llu back (99 %% after %.0f ms, 100 %% after %.0f ms), "
            "%llu reconnects (%llu failed), ",
            "storm", (unsigned long long)m->storm_drops, (unsigned long long)m->storm_back,
            storm_live_ms(o, m, 0.99), storm_live_ms(o, m, 1.0),
            (unsigned long long)m->storm_attempts, (unsigned long long)m->storm_failed);
    if (storm_resumes(o))
        fprintf(out, "%llu resumes missed ticks\n", (unsigned long long)m->storm_gaps);
    else
        fprintf(out, "no resumes (--subscribe none: live at the handshake)\n");
    fprintf(out, "  %-14s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms\n", "reconnect time",
            ms(lstats_hist_percentile(&m->storm_connect_us, 50)),
            ms(lstats_hist_percentile(&m->storm_connect_us, 95)),
            ms(lstats_hist_percentile(&m->storm_connect_us, 99)), ms(m->storm_connect_us.max));
}

int summary_print(FILE *out, const struct summary_args *a, const struct load_report *m,
                  const struct summary_run *run)
{
    const struct load_opts *o = a->o;
    uint64_t errors = reports_errors(m);
    double avg = lstats_hist_mean(&m->latency_us) / 1000.0;
    double p99 = ms(lstats_hist_percentile(&m->latency_us, 99));
    struct verdict_in vin = {o->plan.peak,        m->attempted, m->connected, errors,
                             m->latency_us.count, avg,          p99};
    struct verdict_limits lim = {o->min_connected_pct, o->max_error_pct, o->max_avg_latency_ms,
                                 o->max_p99_latency_ms};
    double conn_pct = verdict_connected_pct(&vin), err_pct = verdict_error_pct(&vin);
    int sidx = phase_find(&o->plan, "sustain");
    double sus_s = sidx >= 0 ? (double)o->plan.phase[sidx].duration_ms / 1000.0 : 0;
    double mps = sus_s > 0 ? (double)m->sustain_messages / sus_s : 0;
    double bps = sus_s > 0 ? (double)m->sustain_bytes / sus_s : 0;
    double pps = sus_s > 0 ? (double)m->sustain_prices / sus_s : 0;

    unsigned fails = verdict_check(&vin, &lim);
    json_t *failed = json_array();
    /* In the bit order of enum verdict_failure. */
    static const char *const fail_names[] = {"connected", "avg_latency", "p99_latency", "errors"};
    for (unsigned k = 0; k < 4; k++)
        if (fails & (1u << k))
            json_array_append_new(failed, json_string(fail_names[k]));
    bool pass = fails == 0;
    if (o->storm && !storm_ok(m)) {
        json_array_append_new(failed, json_string("storm"));
        pass = false;
    }

    json_t *causes = json_object();
    for (int k = 0; k < CAUSE_MAX; k++)
        if (m->cause[k])
            json_object_set_new(causes, load_cause_names[k], json_integer((json_int_t)m->cause[k]));
    json_t *j = json_pack(
        "{s:s, s:s, s:I, s:i, s:I, s:I, s:I, s:f, s:I, s:o, s:o, s:f, s:f, s:f, s:I, s:I, s:I, "
        "s:I, s:I, s:f, s:o, s:I, s:I, s:I, s:I, s:b, s:o}",
        "url", a->url, "transport", transport_name(o), "clients", (json_int_t)o->clients, "workers",
        o->workers, "wanted", (json_int_t)verdict_base(&vin), "attempted", (json_int_t)m->attempted,
        "connected", (json_int_t)m->connected, "connected_pct", conn_pct, "open_at_sustain_end",
        (json_int_t)m->clients_at_end, "connect_ms", pct_json(&m->connect_us, false), "latency_ms",
        pct_json(&m->latency_us, true), "messages_per_s", mps, "bytes_per_s", bps, "prices_per_s",
        pps, "messages", (json_int_t)m->messages, "bytes", (json_int_t)m->bytes_in, "ticks_min",
        (json_int_t)m->min_ticks, "ticks_max", (json_int_t)m->max_ticks, "errors",
        (json_int_t)errors, "error_pct", err_pct, "causes", causes, "closed_by_us",
        (json_int_t)m->closed_by_us, "last_ready_ms", (json_int_t)m->last_ready_ms,
        "sustain_start_ms", (json_int_t)run->sus_start_wall, "sustain_end_ms",
        (json_int_t)run->sus_end_wall, "pass", pass, "failed", failed);
    double per_conn = 0, cpu_sus = 0, cpu_all = 0;
    /* Server figures only when every process read at the start was still
     * there at the end of the sustain: differences across a restart (a
     * storm's) would compare a gone process with nothing. */
    bool server_figures = o->pids[0] && run->p_start.ok && run->p_sus_end.ok == run->p_start.ok;
    if (server_figures) {
        if (m->clients_at_end)
            per_conn = (double)(run->p_sus_end.rss_kb - run->p_start.rss_kb) * 1024.0 /
                       (double)m->clients_at_end;
        cpu_sus = procstat_cpu_pct(run->p_sus_start, run->p_sus_end);
        cpu_all = procstat_cpu_pct(run->p_start, run->p_end);
        json_object_set_new(
            j, "server",
            json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "rss_start_kb",
                      (json_int_t)run->p_start.rss_kb, "rss_sustain_kb",
                      (json_int_t)run->p_sus_end.rss_kb, "rss_peak_kb",
                      (json_int_t)run->rss_peak_kb, "rss_per_conn_bytes", per_conn,
                      "cpu_pct_sustain", cpu_sus, "cpu_pct", cpu_all, "cpu_s_sustain",
                      (double)(run->p_sus_end.cpu_ticks - run->p_sus_start.cpu_ticks) /
                          (double)sysconf(_SC_CLK_TCK),
                      /* From the first connect to the sustain phase: the
                       * connection set-up, and the ticks sent meanwhile. */
                      "cpu_s_setup",
                      (double)(run->p_sus_start.cpu_ticks - run->p_start.cpu_ticks) /
                          (double)sysconf(_SC_CLK_TCK)));
    }
    if (o->storm)
        json_object_set_new(j, "storm", storm_json(o, m));
    if (!a->quiet) {
        fprintf(out, "cryptopulse-load: %s (%s), %lld clients, subscribe %s, %d worker%s\n", a->url,
                transport_name(o), (long long)o->clients, a->sub, o->workers,
                o->workers > 1 ? "s" : "");
        fprintf(out,
                "  %-14s %llu wanted, %llu attempted, %llu connected (%.2f %%), %llu open at the "
                "end of sustain\n",
                "clients", (unsigned long long)verdict_base(&vin), (unsigned long long)m->attempted,
                (unsigned long long)m->connected, conn_pct, (unsigned long long)m->clients_at_end);
        fprintf(out, "  %-14s p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms\n", "connect time",
                ms(lstats_hist_percentile(&m->connect_us, 50)),
                ms(lstats_hist_percentile(&m->connect_us, 95)),
                ms(lstats_hist_percentile(&m->connect_us, 99)), ms(m->connect_us.max));
        fprintf(out, "  %-14s avg %.2f  p50 %.1f  p95 %.1f  p99 %.1f  max %.1f ms (%llu prices)\n",
                "latency", avg, ms(lstats_hist_percentile(&m->latency_us, 50)),
                ms(lstats_hist_percentile(&m->latency_us, 95)), p99, ms(m->latency_us.max),
                (unsigned long long)m->latency_us.count);
        fprintf(out, "  %-14s %.0f messages/s, %.0f prices/s, %.2f MB/s (sustain)\n", "throughput",
                mps, pps, bps / 1e6);
        fprintf(out, "  %-14s min %llu, max %llu live ticks per client\n", "ticks",
                (unsigned long long)m->min_ticks, (unsigned long long)m->max_ticks);
        fprintf(out, "  %-14s %llu (%.2f %%)", "errors", (unsigned long long)errors, err_pct);
        for (int k = 0; k < CAUSE_MAX; k++)
            if (m->cause[k])
                fprintf(out, "  %s %llu", load_cause_names[k], (unsigned long long)m->cause[k]);
        fprintf(out, "\n");
        if (server_figures)
            fprintf(out,
                    "  %-14s RSS %.1f -> %.1f MiB (peak %.1f), %.0f bytes per client; CPU %.0f %% "
                    "in sustain\n",
                    "server", run->p_start.rss_kb / 1024.0, run->p_sus_end.rss_kb / 1024.0,
                    run->rss_peak_kb / 1024.0, per_conn, cpu_sus);
        if (o->storm)
            storm_print(out, o, m);
        fprintf(out, "  %-14s connected >= %g %%, avg latency <= %g ms, ", "criteria",
                o->min_connected_pct, o->max_avg_latency_ms);
        if (o->max_p99_latency_ms > 0)
            fprintf(out, "p99 latency <= %g ms, ", o->max_p99_latency_ms);
        fprintf(out, "errors <= %g %%: %s\n", o->max_error_pct, pass ? "PASS" : "FAIL");
    }
    char *line = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
    fprintf(out, "%s\n", line);
    free(line);
    json_decref(j);
    return pass ? 0 : 1;
}

void summary_sample(struct summary_run *run, const struct load_opts *o, int64_t t_ms)
{
    int sidx = phase_find(&o->plan, "sustain");
    if (sidx < 0)
        sidx = o->plan.n - 1;
    int64_t s0 = phase_start(&o->plan, sidx), s1 = phase_start(&o->plan, sidx + 1);
    if (!run->have_sus_start && t_ms >= s0) {
        run->have_sus_start = true;
        run->p_sus_start = procstat_sample(o->pids);
        run->sus_start_wall = load_wall_us() / 1000;
    }
    if (!run->have_sus_end && t_ms >= s1) {
        run->have_sus_end = true;
        run->p_sus_end = procstat_sample(o->pids);
        run->sus_end_wall = load_wall_us() / 1000;
    }
}

void summary_progress(FILE *out, const struct load_opts *o, const struct load_report *m,
                      int64_t t_ms, uint64_t *last_msgs)
{
    int phase;
    int64_t target = phase_target(&o->plan, t_ms, &phase);
    const char *name = phase < o->plan.n ? o->plan.phase[phase].name : "done";
    fprintf(out, "\r\033[K%-9s %5.1fs  open %llu/%lld  failed %llu  msg/s %llu  p99 %.1f ms", name,
            (double)t_ms / 1000, (unsigned long long)m->open, (long long)target,
            (unsigned long long)reports_errors(m), (unsigned long long)(m->messages - *last_msgs),
            (double)lstats_hist_percentile(&m->latency_us, 99) / 1000);
    *last_msgs = m->messages;
}
