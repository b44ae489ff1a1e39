// The SVI surface file (format in io/surface_file.hpp) and the surface's arbitrage checks.
#include "hedgesim/io/surface_file.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <limits>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"
#include "hedgesim/io/input_file.hpp"
#include "hedgesim/io/yaml_load.hpp"
#include "hedgesim/spec.hpp"

namespace hedgesim {
namespace {

double grid_k(unsigned i) {
  return -kSurfaceCheckK + 2.0 * kSurfaceCheckK * static_cast<double>(i) / static_cast<double>(kSurfaceCheckPoints - 1);
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& msg) const { throw InputError(source_ + ": " + msg); }
  static int line(const YAML::Node& n) { return n.Mark().line + 1; }

  const YAML::Node& root_of(const std::vector<YAML::Node>& docs) const {
    if (docs.size() != 1 || !docs.front().IsMap())
      fail("expected one YAML map (a surface file written by hedgesim calibrate --surface; format in docs/hedging.md)");
    return docs.front();
  }

  /// The map's keys, each once and each in `allowed`.
  void keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> allowed) const {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || key == a;
      std::string names;
      for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      if (!ok) fail(fmt::format("{}{} at line {}: unknown key (expected {})", path, key, line(kv.first), names));
      if (!seen.insert(key).second) fail(fmt::format("{}{} at line {}: given twice", path, key, line(kv.first)));
    }
  }

  YAML::Node need(const YAML::Node& map, const std::string& path, const char* key) const {
    const YAML::Node n = map[key];
    if (!n) fail(fmt::format("{}{} is required (map at line {})", path, key, line(map)));
    return n;
  }

  double number(const YAML::Node& n, const std::string& key, const char* expected, bool (*ok)(double)) const {
    double x = std::nan("");
    if (n.IsScalar()) {
      try {
        x = n.as<double>();
      } catch (const YAML::Exception&) {
      }
    }
    if (!n.IsScalar() || !std::isfinite(x) || !ok(x))
      fail(fmt::format("{} = '{}' at line {}: expected {}", key, n.IsScalar() ? n.Scalar() : "(not a scalar)", line(n),
                       expected));
    return x;
  }

  std::string text(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(fmt::format("{} at line {}: expected a text", key, line(n)));
    return n.Scalar();
  }

 private:
  std::string source_;
};

bool any(double) { return true; }
bool positive(double x) { return x > 0.0; }
bool non_negative(double x) { return x >= 0.0; }
bool correlation(double x) { return x > -1.0 && x < 1.0; }
bool count(double x) { return x >= 0.0 && x <= 1e9 && x == std::floor(x); }

}  // namespace

SviSurface to_surface(const SurfaceFile& f) {
  SviSurface s;
  s.n = static_cast<unsigned>(f.slices.size());
  for (unsigned j = 0; j < s.n; ++j) {
    const SurfaceFileSlice& x = f.slices[j];
    s.slice[j] = {x.days / kDaysPerYear, x.a, x.b, x.rho, x.m, x.sigma};
  }
  return s;
}

SliceButterfly slice_butterfly(const SviSlice& s) {
  SliceButterfly out{std::numeric_limits<double>::infinity(), 0.0};
  for (unsigned i = 0; i < kSurfaceCheckPoints; ++i) {
    const double k = grid_k(i);
    const double g = svi_butterfly_g(s, k);
    if (g < out.min_g) out = {g, k};
  }
  return out;
}

SurfaceArbitrage check_arbitrage(const SviSurface& s) {
  SurfaceArbitrage a;
  a.min_g = std::numeric_limits<double>::infinity();
  for (unsigned j = 0; j < s.n; ++j) {
    const SliceButterfly b = slice_butterfly(s.slice[j]);
    if (b.min_g < a.min_g) {
      a.min_g = b.min_g;
      a.min_g_slice = j;
      a.min_g_k = b.k;
    }
  }
  a.min_calendar = s.n > 1 ? std::numeric_limits<double>::infinity() : 0.0;
  for (unsigned j = 1; j < s.n; ++j) {
    for (unsigned i = 0; i < kSurfaceCheckPoints; ++i) {
      const double k = grid_k(i);
      const double d = svi_value(s.slice[j], k).w - svi_value(s.slice[j - 1], k).w;
      if (d < a.min_calendar) {
        a.min_calendar = d;
        a.min_calendar_slice = j;
        a.min_calendar_k = k;
      }
    }
  }
  return a;
}

std::vector<std::string> arbitrage_violations(const SurfaceArbitrage& a, const SurfaceFile& f) {
  std::vector<std::string> out;
  const auto slice = [&](unsigned j) {
    const SurfaceFileSlice& s = f.slices[j];
    return fmt::format("slice {} ({}{:.4g} days)", j, s.expiry.empty() ? "" : s.expiry + ", ", s.days);
  };
  if (!a.butterfly_ok())
    out.push_back(fmt::format("butterfly arbitrage: {} has Gatheral's density factor g(k) = {:.6g} < 0 at k = ln(K/F) = "
                              "{:.4g} (g must be >= 0 on k in [-{}, {}])",
                              slice(a.min_g_slice), a.min_g, a.min_g_k, kSurfaceCheckK, kSurfaceCheckK));
  if (!a.calendar_ok())
    out.push_back(fmt::format("calendar arbitrage: {} has less total variance than {} at k = {:.4g} (w = {:.6g} less; "
                              "w must not decrease with the expiry at fixed k)",
                              slice(a.min_calendar_slice), slice(a.min_calendar_slice - 1), a.min_calendar_k,
                              -a.min_calendar));
  return out;
}

SurfaceFile parse_surface_file(const std::string& text, const std::string& source) {
  const Reader r(source);
  std::vector<YAML::Node> docs;
  try {
    docs = load_all_documents(text);
  } catch (const YAML::Exception& e) {
    r.fail(fmt::format("YAML syntax error at line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  const YAML::Node& root = r.root_of(docs);
  r.keys(root, "", {"format", "format_version", "source", "currency", "spot", "carry", "slices"});
  const YAML::Node format = r.need(root, "", "format");
  if (r.text(format, "format") != kSurfaceFormat)
    r.fail(fmt::format("format = '{}' at line {}: expected {} (a surface file written by hedgesim calibrate --surface)",
                       format.Scalar(), Reader::line(format), kSurfaceFormat));
  const YAML::Node version = r.need(root, "", "format_version");
  if (r.number(version, "format_version", "an integer", any) != kSurfaceFormatVersion)
    r.fail(fmt::format("format_version = '{}' at line {}: this hedgesim reads version {}", version.Scalar(),
                       Reader::line(version), kSurfaceFormatVersion));
  SurfaceFile f;
  if (root["source"]) f.source = r.text(root["source"], "source");
  if (root["currency"]) f.currency = r.text(root["currency"], "currency");
  if (root["spot"]) f.spot = r.number(root["spot"], "spot", "a number > 0 (USD)", positive);
  if (root["carry"]) f.carry = r.number(root["carry"], "carry", "a finite number (per year)", any);
  const YAML::Node slices = r.need(root, "", "slices");
  if (!slices.IsSequence() || slices.size() == 0 || slices.size() > kMaxSviSlices)
    r.fail(fmt::format("slices at line {}: expected a list of 1 to {} slices", Reader::line(slices), kMaxSviSlices));
  for (std::size_t j = 0; j < slices.size(); ++j) {
    const YAML::Node& n = slices[j];
    const std::string path = fmt::format("slices[{}].", j);
    if (!n.IsMap()) r.fail(fmt::format("slices[{}] at line {}: expected a map of slice keys", j, Reader::line(n)));
    r.keys(n, path, {"expiry", "days", "forward", "count", "rmse_vol_points", "max_abs_vol_points", "a", "b", "rho", "m",
                     "sigma"});
    SurfaceFileSlice s;
    if (n["expiry"]) s.expiry = r.text(n["expiry"], path + "expiry");
    if (n["forward"]) s.forward = r.number(n["forward"], path + "forward", "a number > 0 (USD)", positive);
    if (n["count"]) s.count = static_cast<unsigned>(r.number(n["count"], path + "count", "an integer from 0 to 1e9", count));
    if (n["rmse_vol_points"])
      s.rmse_vol_points = r.number(n["rmse_vol_points"], path + "rmse_vol_points", "a number >= 0", non_negative);
    if (n["max_abs_vol_points"])
      s.max_abs_vol_points = r.number(n["max_abs_vol_points"], path + "max_abs_vol_points", "a number >= 0", non_negative);
    s.days = r.number(r.need(n, path, "days"), path + "days", "a number of days > 0", positive);
    s.a = r.number(r.need(n, path, "a"), path + "a", "a finite number", any);
    s.b = r.number(r.need(n, path, "b"), path + "b", "a number >= 0", non_negative);
    s.rho = r.number(r.need(n, path, "rho"), path + "rho", "a number in (-1, 1)", correlation);
    s.m = r.number(r.need(n, path, "m"), path + "m", "a finite number", any);
    s.sigma = r.number(r.need(n, path, "sigma"), path + "sigma", "a number > 0", positive);
    if (!f.slices.empty() && !(s.days > f.slices.back().days))
      r.fail(fmt::format("{}days = {} at line {}: slices must be in strictly ascending days (the slice before has {})",
                         path, s.days, Reader::line(n["days"]), f.slices.back().days));
    f.slices.push_back(s);
  }
  const std::vector<std::string> violations = arbitrage_violations(check_arbitrage(to_surface(f)), f);
  if (!violations.empty())
    r.fail(violations.front() + (violations.size() > 1 ? "; and " + violations[1] : std::string()) +
           ": refit the surface (hedgesim calibrate --surface) or fix the file");
  return f;
}

SurfaceFile read_surface_file(const std::string& path) {
  return parse_surface_file(read_input_file(path, "surface file", kConfigFileCap), path);
}

std::string surface_file_yaml(const SurfaceFile& f) {
  std::string y = fmt::format(
      "# An SVI volatility surface (raw SVI per expiry: w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)),\n"
      "# k = ln(K/F), w the total implied variance; docs/hedging.md \"Volatility surface\"). Name it in a run\n"
      "# config as hedge: {{marks: surface, surface: {{file: THIS_FILE, dynamics: sticky_strike}}}}.\n"
      "format: {}\nformat_version: {}\n",
      kSurfaceFormat, kSurfaceFormatVersion);
  const auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        q += '\\';
        q += c;
      } else if (u < 0x20 || u == 0x7f) {
        q += fmt::format("\\x{:02x}", u);  // YAML's escape: a control character may not stand in a scalar
      } else {
        q += c;
      }
    }
    return q + "\"";
  };
  if (!f.source.empty()) y += fmt::format("source: {}\n", quoted(f.source));
  if (!f.currency.empty()) y += fmt::format("currency: {}\n", quoted(f.currency));
  if (f.spot > 0.0) y += fmt::format("spot: {:.17g}\n", f.spot);
  y += fmt::format("carry: {:.17g}\nslices:\n", f.carry);
  for (const SurfaceFileSlice& s : f.slices) {
    y += fmt::format("  - {{expiry: {}, days: {:.17g}, ", quoted(s.expiry), s.days);
    if (s.forward > 0.0) y += fmt::format("forward: {:.17g}, ", s.forward);
    y += fmt::format("count: {}, rmse_vol_points: {:.4f}, max_abs_vol_points: {:.4f},\n     a: {:.17g}, b: {:.17g}, "
                     "rho: {:.17g}, m: {:.17g}, sigma: {:.17g}}}\n",
                     s.count, s.rmse_vol_points, s.max_abs_vol_points, s.a, s.b, s.rho, s.m, s.sigma);
  }
  return y;
}

}  // namespace hedgesim
