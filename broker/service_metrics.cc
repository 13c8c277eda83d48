#include "broker/service_metrics.h"

#include <string.h>

#include <charconv>

#include "absl/strings/match.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

void Header(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  out->append(StrCat("# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n"));
}

// Label values here are our own words (reasons, signal names); escape
// anyway, as the text format asks.
std::string LabelValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void LabelledCounter(std::string* out, std::string_view name, std::string_view help,
                     std::string_view label, const std::map<std::string, std::uint64_t>& values) {
  Header(out, name, "counter", help);
  for (const auto& [value, count] : values) {
    out->append(StrCat(name, "{", label, "=\"", LabelValue(value), "\"} ", count, "\n"));
  }
}

// The shortest text that reads back as `value` (absl::StrCat keeps six
// digits, too few for a sum of seconds over weeks).
std::string Number(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return StrCat(value);
  return std::string(buffer, end);
}

void Counter(std::string* out, std::string_view name, std::string_view help, std::uint64_t value) {
  Header(out, name, "counter", help);
  out->append(StrCat(name, " ", value, "\n"));
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(std::chrono::steady_clock::duration elapsed) {
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && seconds > bounds_[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ += seconds;
  ++count_;
}

void Histogram::AppendTo(std::string* out, std::string_view name, std::string_view help) const {
  Header(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out->append(StrCat(name, "_bucket{le=\"", Number(bounds_[i]), "\"} ", cumulative, "\n"));
  }
  cumulative += counts_.back();
  out->append(StrCat(name, "_bucket{le=\"+Inf\"} ", cumulative, "\n"));
  out->append(StrCat(name, "_sum ", Number(sum_), "\n"));
  out->append(StrCat(name, "_count ", count_, "\n"));
}

ServiceMetrics::ServiceMetrics()
    : rerun_seconds({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      session_start_seconds(
          {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {}

std::string_view ServiceMetrics::ReasonLabel(std::string_view reason) {
  if (absl::StartsWith(ToAbsl(reason), "worker_exited_")) return "worker_exited";
  return reason;
}

void ServiceMetrics::CountCrash(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  ++crashes_by_signal[abbrev ? StrCat("SIG", abbrev) : StrCat("signal_", signal)];
}

void ServiceMetrics::AppendTo(std::string* out) const {
  Counter(out, "sluice_sessions_started_total", "Sessions given a worker.", sessions_started);
  LabelledCounter(out, "sluice_sessions_ended_total",
                  "Sessions ended, by reason (closed, dropped, reconnect_grace_expired, "
                  "idle_timeout, ended_by_operator, crashed, rerun_timeout, out_of_memory, "
                  "worker_exited, worker_link_failed, shutdown).",
                  "reason", ended_by_reason);
  LabelledCounter(out, "sluice_sessions_rejected_total",
                  "Tabs that got \"server busy\" instead of a session, by why (busy, queue_full, "
                  "queue_timeout, per_ip_limit, no_worker).",
                  "reason", rejected_by_reason);
  LabelledCounter(out, "sluice_worker_crashes_total",
                  "Workers (in a session or warm) killed by a signal they did not get from the "
                  "broker, by signal.",
                  "signal", crashes_by_signal);
  Counter(out, "sluice_page_bytes_received_total",
          "WebSocket message bytes read from pages (uploads included).", page_bytes_in);
  Counter(out, "sluice_page_bytes_sent_total", "WebSocket message bytes written to pages.",
          page_bytes_out);
  Counter(out, "sluice_upload_bytes_total", "Uploaded file bytes passed on to workers.",
          upload_bytes);
  Counter(out, "sluice_websocket_origin_refused_total",
          "WebSocket upgrades refused (403) because their Origin is neither the request's Host "
          "nor in --allowed-origins.",
          websocket_origin_refused);
  Counter(out, "sluice_page_write_stalls_total",
          "Pages dropped because nothing of what was sent to them was taken for --write-timeout.",
          page_write_stalls);
  rerun_seconds.AppendTo(out, "sluice_rerun_duration_seconds",
                         "From forwarding a page's widget change to the worker's end-of-run "
                         "frame, as the broker sees it.");
  session_start_seconds.AppendTo(out, "sluice_session_start_seconds",
                                 "From admitting a tab's hello (or taking it from the queue) to "
                                 "the first frame from its worker.");
}

}  // namespace sluice::broker
