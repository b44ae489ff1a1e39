// order_flow: — customers trading an options AMM's board (kOrderFlowKeys, schema.hpp;
// hedging/order_flow.hpp) — and the jobs it runs in.
#include <vector>

#include "hedgesim/hedging/order_flow.hpp"
#include "parser.hpp"

namespace hedgesim::config {

void Parser::parse_order_flow(const Entry& section, OrderFlowSpec& f) {
  const std::span<const Key<OrderFlowSpec>> keys = kOrderFlowKeys;
  const auto es = map_entries(section, "order_flow", keys,
                              "a map of order-flow keys (" + join(key_names(keys)) +
                                  "), e.g. {strikes: [60000, 65000, 70000], expiries_days: [7, 28], trades_per_day: "
                                  "40, size_mean: 2}");
  const auto given = read(es, "order_flow", keys, f, [&](const Key<OrderFlowSpec>& k, const Entry& e) {
    const std::string key = "order_flow." + e.key;
    if (k.name == "strikes") {
      f.strikes = number_list(key, e, "strikes > 0 (USD)", [](double x) { return x > 0.0; });
      return true;
    }
    if (k.name == "expiries_days") {
      f.expiries_days = number_list(key, e, "days > 0", [](double x) { return x > 0.0; });
      return true;
    }
    return false;
  });
  if (const Key<OrderFlowSpec>* k = missing(keys, given)) {
    fail("order_flow." + std::string(k->name) + " is required (order_flow at line " + std::to_string(section.line) +
         "): order_flow needs strikes, expiries_days, trades_per_day and size_mean");
  }
  f.given = true;
}

/// order_flow: its keys and lists, the board's size, expiries on the grid, skew with its vega limit, and the
/// jobs it runs in (the CPU's pool tile and the GPU's pool program, with Black–Scholes marks at the hedge's
/// vol and delta rules).
void validate_order_flow(const Reporter& r, const RunSpec& s) {
  const OrderFlowSpec& f = s.order_flow;
  if (!f.enabled()) return;
  check_keys<OrderFlowSpec>(r, kOrderFlowKeys, f, "order_flow.");
  if (f.strikes.empty()) r.fail_key("order_flow.strikes", "must list at least one strike");
  if (f.expiries_days.empty()) r.fail_key("order_flow.expiries_days", "must list at least one expiry");
  const std::size_t series = 2 * f.strikes.size() * f.expiries_days.size();
  if (series > kMaxFlowSeries) {
    r.fail_key("order_flow", "lists " + std::to_string(series) + " series (a call and a put of " +
                                 std::to_string(f.strikes.size()) + " strikes at " +
                                 std::to_string(f.expiries_days.size()) + " expiries); at most " +
                                 std::to_string(kMaxFlowSeries) + " are supported: list fewer strikes or expiries");
  }
  for (std::size_t i = 0; i < f.strikes.size(); ++i) {
    const std::string key = "order_flow.strikes[" + std::to_string(i) + "]";
    if (!(f.strikes[i] > 0.0)) r.fail(key, f.strikes[i], "must be > 0");
    require_plausible(r, key, "order_flow.strikes[i]", f.strikes[i], s.model.spot);
  }
  const std::vector<double> all_days = config_days(s);
  for (std::size_t i = 0; i < f.expiries_days.size(); ++i) {
    const std::string key = "order_flow.expiries_days[" + std::to_string(i) + "]";
    if (!(f.expiries_days[i] > 0.0)) r.fail(key, f.expiries_days[i], "must be > 0");
    require_plausible(r, key, "order_flow.expiries_days[i]", f.expiries_days[i]);
    require_on_grid(r, key, f.expiries_days[i], s.simulation.steps_per_day, all_days);
  }
  if (f.skew_vol > 0.0 && f.vega_limit_usd == 0.0) {
    r.fail("order_flow.skew_vol", f.skew_vol,
           "needs order_flow.vega_limit_usd, the pool's vega (USD per vol point) at which the skew is full: give it "
           "or remove skew_vol");
  }
  const std::string not_with = "order_flow is not available with ";
  const auto refuse = [&](const std::string& what) {
    r.fail_key("order_flow", not_with + what + ": remove one of them");
  };
  if (s.hedge.marks != MarkSource::black_scholes) {
    refuse(std::string("hedge.marks = ") + to_string(s.hedge.marks) +
           " (the pool quotes and marks its board with Black-Scholes at the hedge's vol)");
  }
  if (s.hedge.delta == DeltaSource::model) {
    refuse("hedge.delta = model (the board's deltas are Black-Scholes at the hedge's vol, implied or instantaneous)");
  }
  if (!s.hedge.options.empty()) {
    refuse("hedge.options (the pool hedges its inventory's delta with the hedge instrument)");
  }
  if (s.hedge.margin.enabled()) refuse("hedge.margin");
  if (s.output.attribution) refuse("output.attribution (the customers' trades are not split by Greek)");
  for (std::size_t i = 0; i < s.book.size(); ++i) {
    if (s.book[i].style == OptionStyle::everlasting) {
      refuse("everlasting options (book[" + std::to_string(i) + "] is an " + to_string(book_type(s.book[i])) + ")");
    }
  }
  for (std::size_t i = 0; i < s.policies.size(); ++i) {
    if (s.policies[i].leland) {
      refuse("Leland's adjustment (policies[" + std::to_string(i) +
             "].leland: its vol would reprice the book but not the pool's inventory)");
    }
  }
}

}  // namespace hedgesim::config
