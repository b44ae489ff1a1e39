// Fixed-grid Lewis pricer for calibration (formula and grid in smile_pricer.hpp).
#include "hedgesim/calibration/smile_pricer.hpp"

#include <algorithm>
#include <boost/math/quadrature/gauss.hpp>
#include <cmath>
#include <complex>

#include "hedgesim/calibration/implied_vol.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/pricing/analytic.hpp"

namespace hedgesim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDecayExponent = 30.0;  ///< L: e^{−30} ≈ 1e-13 left of the Gaussian envelope
constexpr int kPanelPoints = 16;
constexpr int kMinPanels = 8;

}  // namespace

SmilePricer::SmilePricer(std::vector<SmileExpiry> expiries, std::vector<SmileQuote> quotes)
    : quotes_(std::move(quotes)) {
  using Rule = boost::math::quadrature::gauss<double, kPanelPoints>;
  grids_.resize(expiries.size());
  for (std::size_t q = 0; q < quotes_.size(); ++q) {
    if (quotes_[q].expiry >= expiries.size()) throw InputError("SmilePricer: quote refers to a missing expiry");
    if (!(quotes_[q].moneyness > 0)) throw InputError("SmilePricer: moneyness must be > 0");
    grids_[quotes_[q].expiry].quotes.push_back(q);
  }
  for (std::size_t e = 0; e < expiries.size(); ++e) {
    Grid& g = grids_[e];
    const double tau = expiries[e].maturity, floor = expiries[e].vol_floor;
    if (!(tau > 0) || !(floor > 0)) throw InputError("SmilePricer: maturity and vol floor must be > 0");
    g.maturity = tau;
    double max_k = 0.0;
    for (std::size_t q : g.quotes) max_k = std::max(max_k, std::fabs(std::log(quotes_[q].moneyness)));
    const double u_max = std::sqrt(2.0 * kDecayExponent / (floor * floor * tau));
    const int panels = std::max(kMinPanels, static_cast<int>(std::ceil(u_max * max_k / (2.0 * kPi))));
    const double width = u_max / panels;
    // Boost stores the non-negative abscissae of the symmetric rule (none is 0 for an even order).
    const auto& x = Rule::abscissa();
    const auto& wt = Rule::weights();
    for (int p = 0; p < panels; ++p) {
      const double mid = (p + 0.5) * width, half = 0.5 * width;
      for (std::size_t i = 0; i < x.size(); ++i)
        for (double sign : {-1.0, 1.0}) {
          const double u = mid + sign * half * x[i];
          g.u.push_back(u);
          g.w.push_back(half * wt[i] / (u * u + 0.25));
        }
    }
    const std::size_t n = g.u.size();
    g.cos_t.resize(n * g.quotes.size());
    g.sin_t.resize(n * g.quotes.size());
    for (std::size_t j = 0; j < g.quotes.size(); ++j) {
      const double k = -std::log(quotes_[g.quotes[j]].moneyness);
      for (std::size_t i = 0; i < n; ++i) {
        g.cos_t[j * n + i] = std::cos(g.u[i] * k);
        g.sin_t[j * n + i] = std::sin(g.u[i] * k);
      }
    }
  }
}

std::size_t SmilePricer::nodes() const {
  std::size_t n = 0;
  for (const Grid& g : grids_) n += g.u.size();
  return n;
}

void SmilePricer::prices(const ModelParams& model, std::span<double> out) const {
  if (out.size() != quotes_.size()) throw InputError("SmilePricer: one output per quote");
  if (model.type == ModelType::gbm) {
    for (const Grid& g : grids_)
      for (std::size_t q : g.quotes) out[q] = black_normalised(quotes_[q].type, quotes_[q].moneyness, g.maturity, model.vol);
    return;
  }
  ModelParams m = model;
  m.spot = 1.0;
  m.rate = m.dividend = 0.0;
  std::vector<double> re, im;
  for (const Grid& g : grids_) {
    if (g.quotes.empty()) continue;
    const double tau = g.maturity;
    const double cv_var = lewis_control_variance(m, tau);
    const std::size_t n = g.u.size();
    re.resize(n);
    im.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double u = g.u[i];
      const std::complex<double> phi = log_forward_cf(m, {u, -0.5}, tau);
      const double phi_bs = std::exp(-0.5 * cv_var * tau * (u * u + 0.25));
      re[i] = g.w[i] * (phi.real() - phi_bs);
      im[i] = g.w[i] * phi.imag();
    }
    const double sigma_cv = std::sqrt(cv_var);
    for (std::size_t j = 0; j < g.quotes.size(); ++j) {
      const double* c = &g.cos_t[j * n];
      const double* s = &g.sin_t[j * n];
      double sum = 0.0;
      for (std::size_t i = 0; i < n; ++i) sum += c[i] * re[i] - s[i] * im[i];
      const SmileQuote& q = quotes_[g.quotes[j]];
      out[g.quotes[j]] = black_normalised(q.type, q.moneyness, tau, sigma_cv) - std::sqrt(q.moneyness) / kPi * sum;
    }
  }
}

}  // namespace hedgesim
