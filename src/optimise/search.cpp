// CMA-ES, batched 1-D grid refinement and golden-section search (optimise/search.hpp).
#include "hedgesim/optimise/search.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "hedgesim/errors.hpp"

namespace hedgesim {
namespace {

/// Standard normals from a fixed engine, by Box–Muller on 53-bit uniforms: the same bits everywhere
/// (std::normal_distribution's algorithm is up to the library).
class Normals {
 public:
  explicit Normals(std::uint64_t seed) : engine_(seed) {}
  double operator()() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u1 = 0.0;
    while (u1 == 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    have_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }

 private:
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool have_spare_ = false;
};

void check_batch(const std::vector<Point>& xs, const std::vector<Fitness>& fs) {
  if (fs.size() != xs.size()) throw RuntimeFailure("optimiser: the objective scored a different number of points");
}

}  // namespace

SearchResult cma_es(const BatchObjective& f, const Point& x0, double sigma0, const SearchSettings& settings) {
  using Eigen::MatrixXd;
  using Eigen::VectorXd;
  const int n = static_cast<int>(x0.size());
  if (n == 0) throw InputError("optimiser: CMA-ES needs at least one free parameter");
  const int lambda = settings.population >= 2
                         ? static_cast<int>(settings.population)
                         : std::max(8, 4 + static_cast<int>(std::floor(3.0 * std::log(static_cast<double>(n)))));
  const int mu = lambda / 2;
  VectorXd w(mu);
  for (int i = 0; i < mu; ++i) w(i) = std::log(mu + 0.5) - std::log(i + 1.0);
  w /= w.sum();
  const double mueff = 1.0 / w.squaredNorm();
  const double dn = n;
  const double cc = (4.0 + mueff / dn) / (dn + 4.0 + 2.0 * mueff / dn);
  const double cs = (mueff + 2.0) / (dn + mueff + 5.0);
  const double c1 = 2.0 / ((dn + 1.3) * (dn + 1.3) + mueff);
  const double cmu = std::min(1.0 - c1, 2.0 * (mueff - 2.0 + 1.0 / mueff) / ((dn + 2.0) * (dn + 2.0) + mueff));
  const double damps = 1.0 + 2.0 * std::max(0.0, std::sqrt((mueff - 1.0) / (dn + 1.0)) - 1.0) + cs;
  const double chi_n = std::sqrt(dn) * (1.0 - 1.0 / (4.0 * dn) + 1.0 / (21.0 * dn * dn));

  VectorXd mean = Eigen::Map<const VectorXd>(x0.data(), n);
  double sigma = sigma0;
  MatrixXd C = MatrixXd::Identity(n, n), B = MatrixXd::Identity(n, n);
  VectorXd D = VectorXd::Ones(n), pc = VectorXd::Zero(n), ps = VectorXd::Zero(n);
  Normals normal(settings.seed);

  SearchResult result;
  result.best = x0;
  result.best_fitness = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  const int stall_window = 10 + static_cast<int>(std::ceil(30.0 * dn / lambda));
  std::vector<Fitness> history;

  while (result.evaluations + static_cast<std::uint64_t>(lambda) <= settings.max_evaluations) {
    // Sample: x_k = m + σ·B·D·z_k.
    std::vector<VectorXd> xs(lambda);
    std::vector<Point> clipped(lambda);
    std::vector<double> outside(lambda);
    for (int k = 0; k < lambda; ++k) {
      VectorXd z(n);
      for (int i = 0; i < n; ++i) z(i) = normal();
      xs[k] = mean + sigma * (B * D.cwiseProduct(z));
      clipped[k].resize(n);
      double d2 = 0.0;
      for (int i = 0; i < n; ++i) {
        const double c = std::clamp(xs[k](i), 0.0, 1.0);
        d2 += (xs[k](i) - c) * (xs[k](i) - c);
        clipped[k][i] = c;
      }
      outside[k] = d2;
    }
    std::vector<Fitness> fit = f(clipped);
    check_batch(clipped, fit);
    // Box: a point outside is scored at its projection plus its squared distance from the box in units
    // of σ², weighted by the batch's spread of values (median absolute deviation), so a step out of the
    // box costs about what a typical step inside it changes (Hansen et al. 2009's boundary handling,
    // with a fixed rather than adapted weight).
    {
      std::vector<double> vals;
      for (const Fitness& x : fit) {
        if (std::isfinite(x.value)) vals.push_back(x.value);
      }
      double spread = 0.0;
      if (!vals.empty()) {
        std::vector<double> v = vals;
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        const double med = v[v.size() / 2];
        for (double& x : v) x = std::fabs(x - med);
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        spread = v[v.size() / 2];
      }
      if (!(spread > 0.0)) spread = 1e-12;
      for (int k = 0; k < lambda; ++k) {
        if (outside[k] > 0.0) fit[k].value += spread * outside[k] / (sigma * sigma);
      }
    }
    result.evaluations += lambda;
    ++result.iterations;

    std::vector<int> order(lambda);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return fit[a] < fit[b]; });
    if (fit[order[0]] < result.best_fitness) {
      result.best_fitness = fit[order[0]];
      result.best = clipped[order[0]];
    }
    history.push_back(result.best_fitness);

    // Recombination and the evolution paths.
    const VectorXd old_mean = mean;
    mean.setZero();
    for (int i = 0; i < mu; ++i) mean += w(i) * xs[order[i]];
    const VectorXd step = (mean - old_mean) / sigma;
    const MatrixXd inv_sqrt_c = B * D.cwiseInverse().asDiagonal() * B.transpose();
    ps = (1.0 - cs) * ps + std::sqrt(cs * (2.0 - cs) * mueff) * (inv_sqrt_c * step);
    const double gen = result.iterations;
    const bool hsig = ps.norm() / std::sqrt(1.0 - std::pow(1.0 - cs, 2.0 * gen)) / chi_n < 1.4 + 2.0 / (dn + 1.0);
    pc = (1.0 - cc) * pc + (hsig ? std::sqrt(cc * (2.0 - cc) * mueff) : 0.0) * step;
    MatrixXd rank_mu = MatrixXd::Zero(n, n);
    for (int i = 0; i < mu; ++i) {
      const VectorXd y = (xs[order[i]] - old_mean) / sigma;
      rank_mu += w(i) * y * y.transpose();
    }
    C = (1.0 - c1 - cmu) * C + c1 * (pc * pc.transpose() + (hsig ? 0.0 : cc * (2.0 - cc)) * C) + cmu * rank_mu;
    sigma *= std::exp((cs / damps) * (ps.norm() / chi_n - 1.0));

    // C = B·diag(D²)·Bᵀ.
    C = 0.5 * (C + C.transpose());
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(C);
    B = eig.eigenvectors();
    D = eig.eigenvalues().cwiseMax(1e-30).cwiseSqrt();

    if (sigma * std::sqrt(C.diagonal().maxCoeff()) < settings.tolerance) {
      result.converged = true;
      break;
    }
    if (static_cast<int>(history.size()) > stall_window) {
      const Fitness& then = history[history.size() - 1 - stall_window];
      const Fitness& now = history.back();
      if (then.penalty == now.penalty && std::fabs(then.value - now.value) <= 1e-12 * std::fabs(now.value)) {
        result.converged = true;
        break;
      }
    }
  }
  return result;
}

SearchResult grid_search_1d(const BatchObjective& f, const SearchSettings& settings, std::uint64_t levels) {
  const unsigned pop = settings.population >= 3 ? settings.population : 16;
  SearchResult result;
  result.best_fitness = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  double lo = 0.0, hi = 1.0;
  while (result.evaluations < settings.max_evaluations) {
    std::vector<Point> xs;
    const std::uint64_t room = settings.max_evaluations - result.evaluations;
    bool last = false;
    if (levels > 1) {
      // Whole levels inside [lo, hi].
      const double span = static_cast<double>(levels - 1);
      const auto a = static_cast<std::uint64_t>(std::ceil(lo * span - 1e-9));
      const auto b = static_cast<std::uint64_t>(std::floor(hi * span + 1e-9));
      const std::uint64_t count = b - a + 1;
      if (count <= pop && count <= room) {
        for (std::uint64_t i = a; i <= b; ++i) xs.push_back({static_cast<double>(i) / span});
        last = true;
      } else {
        const unsigned m = static_cast<unsigned>(std::min<std::uint64_t>(pop, room));
        if (m < 2) break;
        for (unsigned i = 0; i < m; ++i) {
          const double t = lo + (hi - lo) * i / (m - 1);
          xs.push_back({std::round(t * span) / span});
        }
        xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
      }
    } else {
      const unsigned m = static_cast<unsigned>(std::min<std::uint64_t>(pop, room));
      if (m < 2) break;
      for (unsigned i = 0; i < m; ++i) xs.push_back({lo + (hi - lo) * i / (m - 1)});
    }
    std::vector<Fitness> fit = f(xs);
    check_batch(xs, fit);
    result.evaluations += xs.size();
    ++result.iterations;
    std::size_t best = 0;
    for (std::size_t i = 1; i < xs.size(); ++i) {
      if (fit[i] < fit[best]) best = i;
    }
    if (fit[best] < result.best_fitness) {
      result.best_fitness = fit[best];
      result.best = xs[best];
    }
    if (last) {
      result.converged = true;
      break;
    }
    const double x = result.best[0];
    const double cell = (hi - lo) / static_cast<double>(xs.size() - 1);
    lo = std::max(0.0, x - cell);
    hi = std::min(1.0, x + cell);
    if (hi - lo < settings.tolerance && levels <= 1) {
      result.converged = true;
      break;
    }
  }
  return result;
}

SearchResult golden_section(const std::function<double(double)>& f, double lo, double hi, double tolerance,
                            std::uint64_t max_evaluations) {
  const double inv_phi = (std::sqrt(5.0) - 1.0) / 2.0;
  const double stop = tolerance * (hi - lo);
  double a = lo, b = hi;
  double c = b - inv_phi * (b - a), d = a + inv_phi * (b - a);
  double fc = f(c), fd = f(d);
  SearchResult result;
  result.evaluations = 2;
  while (b - a > stop && result.evaluations < max_evaluations) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - inv_phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + inv_phi * (b - a);
      fd = f(d);
    }
    ++result.evaluations;
    ++result.iterations;
  }
  result.converged = b - a <= stop;
  result.best = {fc < fd ? c : d};
  result.best_fitness = {0.0, std::min(fc, fd)};
  return result;
}

}  // namespace hedgesim
