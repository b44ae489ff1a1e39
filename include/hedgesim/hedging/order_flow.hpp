#pragma once
// Customer order flow on an options AMM's book (the order_flow: section; docs/hedging.md "Order flow: an
// options AMM"). The pool lists a board of USD-settled European series (every strike × expiry, calls and
// puts) and holds an inventory of them per path, on top of the config's book (its holdings at t = 0).
// At every decision step 0 < n < steps, on every path:
//  - N ~ Poisson(λΔ) customers arrive (one uniform of the flow's stream, block kFlowBlock of the step);
//  - each, with a block of four uniforms of its own: a call with probability call_share, else a put;
//    a live series of that type (expiry after n) with probability ∝ exp(−½·(ln(K/S)/width)²) — around
//    the money, every live expiry alike; a buy with probability clamp(buy_share + momentum·R, 0, 1),
//    R = ln S − A the log return over the trailing anchor A (an exponential average of ln S with time
//    constant lookback); size exponential with mean size_mean contracts;
//  - the pool quotes Black–Scholes at σ_q = max(σ + s·h − k·clamp(V/V_lim, −1, 1), σ_min), σ the decision
//    vol, s = +1 for a customer buy and −1 for a sell, h the half-spread, V the pool's vega (its
//    inventory's, updated trade by trade) and k the skew: a pool long vega quotes lower, to sell, and a
//    short one higher. The customer trades at that price with probability min(1, e^{−ε·c}), c = s·(σ_q − σ)
//    in vol points what the quote costs them over the mark and ε the elasticity (with ε > 0 one more block
//    of the stream, after the customer's own, decides; ε = 0 always trades and draws none), so a skew against
//    the pool's inventory turns its customers away and one in their favour does not; the pool's inventory
//    changes by −s·size and its cash by +s·size·quote; spread_income adds s·size·(quote − mark), the mark
//    Black–Scholes at σ.
// Series settle their payoff into the book's cash at expiry; those alive at the horizon are closed there at
// their marks. At each decision the hedge sees the book's greeks plus the inventory's (Black–Scholes at σ),
// so every policy hedges what the pool holds. The flow does not depend on the policies: every policy hedges
// the same inventory on a path (common random numbers), and spread_income and customer_trades are the same
// for each. Per lane, with branches on the lane's arrivals: the CPU runs it in a tile of its own
// (TileKind::pool), so the other tiles keep their branch-free loops.
#include <cstdint>

#include "hedgesim/hd.hpp"
#include "hedgesim/math.hpp"
#include "hedgesim/models/poisson.hpp"
#include "hedgesim/pricing/black_scholes.hpp"
#include "hedgesim/rng/philox.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {

/// Series an order flow's board may list (calls and puts of every strike and expiry).
constexpr unsigned kMaxFlowSeries = 32;
/// The flow's random numbers: blocks of the step's stream far past the model's and the hedge's (the hedge's
/// failure streams start at 0x40000001), so adding a flow changes neither prices nor costs.
constexpr std::uint32_t kFlowBlock = 0x60000000u;

/// One listed series of the pool's board.
struct FlowSeries {
  OptionType type;
  double strike;
  double log_strike;  ///< ln(K/S0)
  std::uint32_t expiry_step;
};

/// order_flow: in the flat form the per-path code reads (file comment); n_series = 0: no flow.
struct OrderFlowParams {
  unsigned n_series;
  FlowSeries series[kMaxFlowSeries];
  PoissonSampler<double> arrivals;  ///< customers per step: mean λΔ
  double call_share, buy_share;
  double momentum;       ///< change of the buy probability per unit of log return R
  double anchor_weight;  ///< 1 − e^{−Δ/lookback}: the anchor's step towards ln S
  double size_mean;      ///< contracts
  double inv_width2;     ///< 1/width²
  double half_spread, skew, min_vol;  ///< units of σ
  double vega_limit;     ///< V_lim, USD per unit of σ
  double elasticity;     ///< ε, per vol point of the quote's cost to the customer (0: every customer trades)
};

/// The pool's inventory on L lanes and what the flow has brought so far.
template <unsigned L>
struct PoolLanes {
  double qty[kMaxFlowSeries][L];  ///< contracts held of each series (negative: sold)
  double anchor[L];               ///< A, ln(S/S0) smoothed
  double spread_income[L];        ///< USD
  double trades[L];               ///< customer trades
  double delta[L], gamma[L], vega[L];  ///< the inventory's greeks at the last decision (vega per unit of σ)

  HS_HD void begin(const OrderFlowParams& f) {
    for (unsigned s = 0; s < f.n_series; ++s)
      for (unsigned l = 0; l < L; ++l) qty[s][l] = 0.0;
    for (unsigned l = 0; l < L; ++l) anchor[l] = spread_income[l] = trades[l] = delta[l] = gamma[l] = vega[l] = 0.0;
  }

  /// After step n's price: series expiring at n pay their payoff into the book's cash, and the anchor moves.
  HS_HD void advance(const OrderFlowParams& f, std::uint32_t n, const double* spot, const double* log_spot,
                     double* book_cash) {
    for (unsigned s = 0; s < f.n_series; ++s) {
      const FlowSeries& o = f.series[s];
      if (o.expiry_step != n) continue;
      const double sign = o.type == OptionType::call ? 1.0 : -1.0;
      for (unsigned l = 0; l < L; ++l) book_cash[l] += qty[s][l] * m::max(sign * (spot[l] - o.strike), 0.0);
    }
    for (unsigned l = 0; l < L; ++l) anchor[l] += f.anchor_weight * (log_spot[l] - anchor[l]);
  }

  /// The customers of decision step n (0 < n < steps) on every lane: trades at the pool's quotes into its
  /// inventory and the book's cash (file comment). sigma: the decision vol; tau of series s is
  /// (expiry − n)·dt.
  HS_HD void arrive(const OrderFlowParams& f, std::uint64_t seed, std::uint64_t path0, std::uint32_t n,
                    const double* spot, const double* log_spot, const double* sigma, double rate, double dividend,
                    double dt, double* book_cash) {
    for (unsigned l = 0; l < L; ++l) {
      StepRng<double> rng(seed, path0 + l, n, kFlowBlock);
      const unsigned count = f.arrivals(rng.uniform_of4(0));
      if (count == 0) continue;
      double v = inventory_greeks(f, n, l, spot[l], sigma[l], rate, dividend, dt).vega;
      const double p_buy = m::min(m::max(f.buy_share + f.momentum * (log_spot[l] - anchor[l]), 0.0), 1.0);
      for (unsigned k = 0; k < count; ++k) {
        double u[4];
        rng.uniforms4(u);
        const OptionType type = u[0] < f.call_share ? OptionType::call : OptionType::put;
        const unsigned s = pick_series(f, n, type, log_spot[l], u[1]);
        if (s == kMaxFlowSeries) continue;  // nothing of that type is listed any more
        const FlowSeries& o = f.series[s];
        const double side = u[2] < p_buy ? 1.0 : -1.0;
        const double size = -f.size_mean * m::log(u[3]);
        const double tau = static_cast<double>(o.expiry_step - n) * dt;
        const double shade = -f.skew * m::min(m::max(v / f.vega_limit, -1.0), 1.0);
        const double quote_vol = m::max(sigma[l] + side * f.half_spread + shade, f.min_vol);
        if (f.elasticity > 0.0) {
          const double cost_points = side * (quote_vol - sigma[l]) * 100.0;
          if (!(rng.uniform_of4(0) < m::exp_finite(-f.elasticity * m::max(cost_points, 0.0)))) continue;
        }
        const Greeks<double> mark = black_scholes_linear<double>(o.type, spot[l], o.strike, tau, rate, dividend, sigma[l]);
        const double quote =
            black_scholes_linear<double>(o.type, spot[l], o.strike, tau, rate, dividend, quote_vol).price;
        book_cash[l] += side * size * quote;
        qty[s][l] -= side * size;
        spread_income[l] += side * size * (quote - mark.price);
        trades[l] += 1.0;
        v -= side * size * mark.vega;
      }
    }
  }

  /// The inventory's delta, gamma and vega at decision step n (after its customers), into delta/gamma/vega.
  HS_HD void greeks(const OrderFlowParams& f, std::uint32_t n, const double* spot, const double* sigma, double rate,
                    double dividend, double dt) {
    for (unsigned l = 0; l < L; ++l) {
      const Greeks<double> g = inventory_greeks(f, n, l, spot[l], sigma[l], rate, dividend, dt);
      delta[l] = g.delta;
      gamma[l] = g.gamma;
      vega[l] = g.vega;
    }
  }

  /// At the horizon n: the series alive there are closed at their marks (Black–Scholes at sigma) into the
  /// book's cash.
  HS_HD void close(const OrderFlowParams& f, std::uint32_t n, const double* spot, const double* sigma, double rate,
                   double dividend, double dt, double* book_cash) {
    for (unsigned l = 0; l < L; ++l) book_cash[l] += inventory_greeks(f, n, l, spot[l], sigma[l], rate, dividend, dt).price;
  }

  /// Lane l's inventory at step n, summed over the series alive after n: value (USD), delta, gamma, vega.
  HS_HD Greeks<double> inventory_greeks(const OrderFlowParams& f, std::uint32_t n, unsigned l, double spot,
                                        double sigma, double rate, double dividend, double dt) const {
    Greeks<double> sum{0.0, 0.0, 0.0, 0.0, 0.0};
    for (unsigned s = 0; s < f.n_series; ++s) {
      const FlowSeries& o = f.series[s];
      const double q = qty[s][l];
      if (q == 0.0 || o.expiry_step <= n) continue;
      const double tau = static_cast<double>(o.expiry_step - n) * dt;
      const Greeks<double> g = black_scholes_linear<double>(o.type, spot, o.strike, tau, rate, dividend, sigma);
      sum.price += q * g.price;
      sum.delta += q * g.delta;
      sum.gamma += q * g.gamma;
      sum.vega += q * g.vega;
      sum.theta += q * g.theta;
    }
    return sum;
  }

  /// The series of `type` alive after n that uniform u picks, by weight exp(−½·(ln(K/S)/width)²);
  /// kMaxFlowSeries when there is none.
  HS_HD static unsigned pick_series(const OrderFlowParams& f, std::uint32_t n, OptionType type, double log_spot,
                                    double u) {
    double total = 0.0;
    for (unsigned s = 0; s < f.n_series; ++s) total += weight(f, n, s, type, log_spot);
    if (!(total > 0.0)) return kMaxFlowSeries;
    const double at = u * total;
    double cumulative = 0.0;
    unsigned last = kMaxFlowSeries;
    for (unsigned s = 0; s < f.n_series; ++s) {
      const double w = weight(f, n, s, type, log_spot);
      if (w <= 0.0) continue;
      cumulative += w;
      last = s;
      if (at < cumulative) return s;
    }
    return last;  // u·total rounded past the sum
  }
  HS_HD static double weight(const OrderFlowParams& f, std::uint32_t n, unsigned s, OptionType type, double log_spot) {
    const FlowSeries& o = f.series[s];
    if (o.type != type || o.expiry_step <= n) return 0.0;
    const double x = o.log_strike - log_spot;  // ln(K/S)
    return m::exp_finite(-0.5 * x * x * f.inv_width2);
  }
};

}  // namespace hedgesim
