#include "broker/metrics.h"

#include "util/strings.h"

namespace sluice::broker {

namespace {

void Series(std::string* out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  out->append(StrCat("# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ",
                     value, "\n"));
}

}  // namespace

std::string RenderMetrics(const MetricsSnapshot& s) {
  std::string out;
  auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    Series(&out, name, "counter", help, value);
  };
  auto gauge = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    Series(&out, name, "gauge", help, value);
  };
  gauge("sluice_sessions_live",
        "Sessions with a worker, connected or within their reconnect grace.",
        static_cast<std::uint64_t>(s.sessions_live));
  gauge("sluice_warm_workers", "Workers forked and waiting for a session.",
        static_cast<std::uint64_t>(s.warm_workers));
  gauge("sluice_cache_up", "1 while the cache keeper runs, else 0.", s.cache_up ? 1 : 0);
  gauge("sluice_cache_size_bytes", "Size of the st::cache_data arena (--cache-size).",
        s.cache_size_bytes);
  gauge("sluice_cache_bytes_used", "Arena bytes held by cached values, headers included.",
        s.cache.bytes_used);
  gauge("sluice_cache_entries", "Values in the cache.", s.cache.entries);
  counter("sluice_cache_hits_total", "Lookups that found a value (as reported by workers).",
          s.cache.hits);
  counter("sluice_cache_misses_total", "Lookups that found no value and asked the keeper.",
          s.cache.misses);
  counter("sluice_cache_inserts_total", "Values stored.", s.cache.inserts);
  counter("sluice_cache_evictions_total",
          "Values removed: to make room, expired, replaced or cleared.", s.cache.evictions);
  counter("sluice_cache_single_flight_waits_total",
          "Misses that waited for another session computing the same value.", s.cache.waits);
  counter("sluice_cache_clears_total", "Clears, by the app or by the operator.", s.cache.clears);
  counter("sluice_cache_claims_overdue_total",
          "Sessions that held a value's computation past --cache-wait-timeout; it passed on.",
          s.cache.flights_overdue);
  counter("sluice_sandbox_denied_syscalls_total",
          "System calls of workers that the seccomp filter refused (each failed with EPERM).",
          s.sandbox_denied_syscalls);
  counter("sluice_app_output_lines_dropped_total",
          "Lines apps printed that were not logged: past --app-output-lines-per-second.",
          s.app_output_lines_dropped);
  gauge("sluice_queue_length", "Tabs waiting in line for a worker (--max-queue).",
        static_cast<std::uint64_t>(s.queue_length));
  if (s.service) s.service->AppendTo(&out);
  gauge("sluice_zygote_up", "1 while a zygote forks new workers, 0 while one is restarted.",
        s.zygote_up ? 1 : 0);
  gauge("sluice_zygote_generation",
        "Which zygote serves new sessions: 1 at start, one more per reload or restart.",
        s.zygote_generation);
  counter("sluice_zygote_deaths_total",
          "Zygotes that died while serving new sessions (each is restarted; open sessions go on).",
          s.zygote_deaths);
  counter("sluice_zygote_loads_total",
          "New zygotes (app reloads and restarts) that loaded the app and took over.",
          s.zygote_loads_ok);
  counter("sluice_zygote_load_failures_total",
          "New zygotes that could not load the app; the serving one kept serving.",
          s.zygote_loads_failed);
  counter("sluice_log_lines_dropped_total",
          "Log lines the broker could not write to stderr (closed, or a full disk).",
          s.log_lines_dropped);
  return out;
}

}  // namespace sluice::broker
