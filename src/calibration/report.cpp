// The calibrate command's table, JSON and HDF5 file (layout in docs/hdf5.md, "calibration file").
// HDF5 through its C API with a small owning handle; every call is checked.
#include "hedgesim/calibration/report.hpp"

#include <hdf5.h>

#include <chrono>
#include <cstdio>
#include <cmath>
#include <initializer_list>
#include <cstdint>
#include <ctime>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/units.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/version.hpp"

namespace hedgesim {
namespace {

constexpr double kVolPoints = 100.0;  ///< decimal vol to vol points

std::string expiry_date(const Expiry& e) { return e.label.substr(0, 10); }

nlohmann::json json_number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

// ---- HDF5

[[noreturn]] void fail(const std::string& what) { throw RuntimeFailure(what + " failed"); }

class H5 {
 public:
  using Closer = herr_t (*)(hid_t);
  H5(hid_t id, Closer c, const std::string& what) : id_(id), closer_(c) {
    if (id_ < 0) fail(what);
  }
  H5(const H5&) = delete;
  H5& operator=(const H5&) = delete;
  ~H5() {
    if (id_ >= 0) closer_(id_);
  }
  operator hid_t() const { return id_; }  // NOLINT: passes straight to the C API
  void close(const std::string& what) {
    const hid_t id = std::exchange(id_, -1);
    if (closer_(id) < 0) fail(what);
  }

 private:
  hid_t id_;
  Closer closer_;
};

void check(herr_t s, const std::string& what) {
  if (s < 0) fail(what);
}

void attr_string(hid_t obj, const char* name, const std::string& value) {
  H5 type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(type, H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset");
  H5 space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  H5 attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, fmt::format("attribute {}", name));
  const char* p = value.c_str();
  check(H5Awrite(attr, type, &p), fmt::format("writing attribute {}", name));
}

void attr_strings(hid_t obj, const char* name, const std::vector<std::string>& values) {
  H5 type(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  check(H5Tset_size(type, H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset");
  const hsize_t n = values.size();
  H5 space(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
  H5 attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, fmt::format("attribute {}", name));
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (n) check(H5Awrite(attr, type, ptrs.data()), fmt::format("writing attribute {}", name));
}

void attr_double(hid_t obj, const char* name, double v) {
  H5 space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  H5 attr(H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, fmt::format("attribute {}", name));
  check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &v), fmt::format("writing attribute {}", name));
}

/// int32, as every hedgesim file writes format_version (docs/hdf5.md), whatever its kind.
void attr_i32(hid_t obj, const char* name, std::int32_t v) {
  H5 space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  H5 attr(H5Acreate2(obj, name, H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, fmt::format("attribute {}", name));
  check(H5Awrite(attr, H5T_NATIVE_INT32, &v), fmt::format("writing attribute {}", name));
}

void attr_u64(hid_t obj, const char* name, std::uint64_t v) {
  H5 space(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  H5 attr(H5Acreate2(obj, name, H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, fmt::format("attribute {}", name));
  check(H5Awrite(attr, H5T_NATIVE_UINT64, &v), fmt::format("writing attribute {}", name));
}

template <class T>
void dataset(hid_t parent, const char* name, const std::vector<T>& v, const char* units, const char* description = nullptr) {
  if (!is_unit(units)) throw RuntimeFailure(fmt::format("dataset {}: units '{}' is not one of io/units.hpp's (a bug)", name, units));
  const hsize_t n = v.size();
  H5 space(H5Screate_simple(1, &n, nullptr), H5Sclose, "H5Screate_simple");
  const hid_t file_type = std::is_same_v<T, double> ? H5T_IEEE_F64LE : H5T_STD_U64LE;
  const hid_t mem_type = std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE : H5T_NATIVE_UINT64;
  H5 d(H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
       fmt::format("dataset {}", name));
  if (n) check(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), fmt::format("writing {}", name));
  attr_string(d, "units", units);
  if (description != nullptr) attr_string(d, "description", description);
  d.close(fmt::format("closing {}", name));
}

void write_file(const std::string& file_path, const CalibrationRun& run) {
  const Selection& sel = run.selection;
  const FitResult& fit = run.fit;
  H5 file(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "creating the file");
  attr_string(file, "format", "hedgesim-calibration");
  attr_i32(file, "format_version", 1);
  attr_string(file, "hedgesim_version", HEDGESIM_VERSION);
  if (!run.command_line.empty()) attr_string(file, "command_line", run.command_line);
  attr_string(file, "git_commit", HEDGESIM_GIT_COMMIT);
  attr_string(file, "created_utc", format_utc(std::time(nullptr)));
  attr_string(file, "chain_file", run.chain_path);
  attr_string(file, "currency", run.selection_spec.currency);
  attr_string(file, "model", to_string(run.fit_spec.model));
  attr_string(file, "space", to_string(run.fit_spec.space));
  attr_string(file, "weights", to_string(run.fit_spec.weights));
  attr_u64(file, "starts", run.fit_spec.starts);
  attr_double(file, "min_days", run.selection_spec.min_days);
  attr_double(file, "max_days", run.selection_spec.max_days);
  attr_double(file, "min_moneyness", run.selection_spec.min_moneyness);
  attr_double(file, "max_moneyness", run.selection_spec.max_moneyness);
  attr_double(file, "spot", sel.spot);
  attr_double(file, "carry", sel.carry);
  attr_double(file, "rmse_vol", fit.rmse_vol);
  attr_double(file, "max_abs_vol", fit.max_abs_vol);
  attr_double(file, "feller", fit.feller);
  attr_strings(file, "warnings", fit_warnings(fit));
  attr_double(file, "fit_seconds", fit.fit_seconds);
  attr_string(file, "model_yaml", model_yaml(fit.model));
  attr_u64(file, "rows", sel.rows);
  {
    H5 g(H5Gcreate2(file, "dropped", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group dropped");
    for (std::size_t r = 0; r < kDropReasons; ++r) attr_u64(g, to_string(DropReason(r)), sel.dropped[r]);
  }
  {
    H5 g(H5Gcreate2(file, "parameters", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group parameters");
    std::vector<std::string> names;
    std::vector<double> value, lower, upper;
    for (const FittedParam& p : fit.params) {
      names.push_back(p.name);
      value.push_back(p.value);
      lower.push_back(p.lower);
      upper.push_back(p.upper);
    }
    attr_strings(g, "names", names);
    dataset(g, "value", value, "mixed", "each parameter in its model unit (docs/models.md)");
    dataset(g, "lower", lower, "mixed", "each parameter in its model unit (docs/models.md)");
    dataset(g, "upper", upper, "mixed", "each parameter in its model unit (docs/models.md)");
  }
  {
    H5 g(H5Gcreate2(file, "expiries", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group expiries");
    std::vector<std::string> labels;
    std::vector<double> maturity, forward, rmse, maxe;
    std::vector<std::uint64_t> count;
    for (std::size_t e = 0; e < sel.expiries.size(); ++e) {
      labels.push_back(sel.expiries[e].label);
      maturity.push_back(sel.expiries[e].maturity);
      forward.push_back(sel.expiries[e].forward);
      count.push_back(sel.expiries[e].count);
      rmse.push_back(fit.per_expiry[e].rmse_vol);
      maxe.push_back(fit.per_expiry[e].max_abs_vol);
    }
    attr_strings(g, "labels", labels);
    dataset(g, "maturity", maturity, "years");
    dataset(g, "forward", forward, "USD");
    dataset(g, "count", count, "count");
    dataset(g, "rmse_vol", rmse, "1");
    dataset(g, "max_abs_vol", maxe, "1");
  }
  {
    H5 g(H5Gcreate2(file, "options", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, "group options");
    std::vector<std::uint64_t> expiry, is_call, line;
    std::vector<double> maturity, strike, forward, market_iv, model_iv, bid_iv, ask_iv, market_price, model_price, bid,
        ask, weight;
    for (std::size_t j = 0; j < sel.options.size(); ++j) {
      const MarketOption& o = sel.options[j];
      expiry.push_back(o.expiry_index);
      is_call.push_back(o.type == OptionType::call ? 1 : 0);
      line.push_back(o.line);
      maturity.push_back(o.maturity);
      strike.push_back(o.strike);
      forward.push_back(o.forward);
      market_iv.push_back(o.iv);
      model_iv.push_back(fit.model_iv[j]);
      bid_iv.push_back(o.bid_iv > 0 ? o.bid_iv : std::nan(""));
      ask_iv.push_back(o.ask_iv > 0 ? o.ask_iv : std::nan(""));
      market_price.push_back(o.price);
      model_price.push_back(fit.model_price[j]);
      bid.push_back(o.bid);
      ask.push_back(o.ask);
      weight.push_back(fit.weight[j]);
    }
    dataset(g, "expiry_index", expiry, "index", "row of /expiries");
    dataset(g, "is_call", is_call, "1");
    dataset(g, "line", line, "index", "line of the chain file (1-based)");
    dataset(g, "maturity", maturity, "years");
    dataset(g, "strike", strike, "USD");
    dataset(g, "forward", forward, "USD");
    dataset(g, "market_iv", market_iv, "1");
    dataset(g, "model_iv", model_iv, "1");
    dataset(g, "bid_iv", bid_iv, "1");
    dataset(g, "ask_iv", ask_iv, "1");
    dataset(g, "market_price", market_price, "coin");
    dataset(g, "model_price", model_price, "coin");
    dataset(g, "bid_price", bid, "coin");
    dataset(g, "ask_price", ask, "coin");
    dataset(g, "weight", weight, "1");
  }
  file.close("closing the file");
}

}  // namespace

std::string calibration_table(const CalibrationRun& run) {
  const Selection& sel = run.selection;
  const FitResult& fit = run.fit;
  std::string t;
  t += fmt::format("hedgesim calibrate: {} {} to {} options of {} ({} expiries, {} to {} days), {} space, {} weights\n",
                   to_string(run.fit_spec.model), run.selection_spec.currency, sel.options.size(), run.chain_path,
                   sel.expiries.size(), run.selection_spec.min_days, run.selection_spec.max_days,
                   to_string(run.fit_spec.space), to_string(run.fit_spec.weights));
  t += fmt::format("rows {}, fitted {}, dropped:", sel.rows, sel.options.size());
  for (std::size_t r = 0; r < kDropReasons; ++r) t += fmt::format(" {} {}", to_string(DropReason(r)), sel.dropped[r]);
  t += "\n\n";
  t += fmt::format("{:<16} {:>14} {:>12} {:>12}\n", "parameter", "value", "lower", "upper");
  for (const FittedParam& p : fit.params) {
    t += fmt::format("{:<16} {:>14.6g} {:>12.4g} {:>12.4g}{}\n", p.name, p.value, p.lower, p.upper,
                     at_bound(p) ? "  at bound" : "");
  }
  if (run.fit_spec.model != ModelType::gbm)
    t += fmt::format("{:<16} {:>14.4f}   (2 kappa theta / xi^2; >= 1: variance stays off zero)\n", "Feller ratio", fit.feller);
  t += fmt::format("\n{:<12} {:>8} {:>6} {:>12} {:>10} {:>10}\n", "expiry", "days", "n", "forward", "RMSE vp", "max vp");
  for (std::size_t e = 0; e < sel.expiries.size(); ++e)
    t += fmt::format("{:<12} {:>8.2f} {:>6} {:>12.2f} {:>10.3f} {:>10.3f}\n", expiry_date(sel.expiries[e]),
                     sel.expiries[e].maturity * kDaysPerYear, sel.expiries[e].count, sel.expiries[e].forward,
                     kVolPoints * fit.per_expiry[e].rmse_vol, kVolPoints * fit.per_expiry[e].max_abs_vol);
  t += fmt::format("{:<12} {:>8} {:>6} {:>12} {:>10.3f} {:>10.3f}\n", "all", "", sel.options.size(), "",
                   kVolPoints * fit.rmse_vol, kVolPoints * fit.max_abs_vol);
  t += fmt::format("\nvp = implied-vol points (0.01). Fit {:.2f} s: {} starts (best #{}), {} chain pricings of {} "
                   "quadrature nodes; fast vs reference pricer within {:.1e} vol at the optimum.\n",
                   fit.fit_seconds, fit.starts, fit.best_start, fit.evaluations, fit.quadrature_nodes, fit.pricer_check);
  t += fmt::format("spot {:.2f} USD (median index), rate = carry {:.5f}/year fitted to the forwards.\n\n", sel.spot,
                   sel.carry);
  t += model_yaml(fit.model);
  return t;
}

std::string calibration_json(const CalibrationRun& run) {
  const Selection& sel = run.selection;
  const FitResult& fit = run.fit;
  nlohmann::json j;
  j["hedgesim_version"] = HEDGESIM_VERSION;
  j["git_commit"] = HEDGESIM_GIT_COMMIT;
  j["chain_file"] = run.chain_path;
  j["currency"] = run.selection_spec.currency;
  j["model"] = to_string(run.fit_spec.model);
  j["space"] = to_string(run.fit_spec.space);
  j["weights"] = to_string(run.fit_spec.weights);
  j["starts"] = run.fit_spec.starts;
  j["min_days"] = run.selection_spec.min_days;
  j["max_days"] = run.selection_spec.max_days;
  j["min_moneyness"] = run.selection_spec.min_moneyness;
  j["max_moneyness"] = run.selection_spec.max_moneyness;
  j["rows"] = sel.rows;
  j["options"] = sel.options.size();
  nlohmann::json dropped = nlohmann::json::object();
  for (std::size_t r = 0; r < kDropReasons; ++r) dropped[to_string(DropReason(r))] = sel.dropped[r];
  j["dropped"] = dropped;
  nlohmann::json params = nlohmann::json::object();
  for (const FittedParam& p : fit.params) params[p.name] = {{"value", p.value}, {"lower", p.lower}, {"upper", p.upper}};
  j["parameters"] = params;
  j["spot"] = sel.spot;
  j["rate"] = fit.model.rate;
  j["feller"] = fit.feller;
  j["warnings"] = fit_warnings(fit);
  j["rmse_vol_points"] = kVolPoints * fit.rmse_vol;
  j["max_abs_vol_points"] = kVolPoints * fit.max_abs_vol;
  j["expiries"] = nlohmann::json::array();
  for (std::size_t e = 0; e < sel.expiries.size(); ++e)
    j["expiries"].push_back({{"expiry", sel.expiries[e].label},
                             {"days", sel.expiries[e].maturity * kDaysPerYear},
                             {"count", sel.expiries[e].count},
                             {"forward", sel.expiries[e].forward},
                             {"rmse_vol_points", kVolPoints * fit.per_expiry[e].rmse_vol},
                             {"max_abs_vol_points", kVolPoints * fit.per_expiry[e].max_abs_vol}});
  j["fit_seconds"] = fit.fit_seconds;
  j["evaluations"] = fit.evaluations;
  j["best_start"] = fit.best_start;
  j["start_objectives"] = fit.start_objectives;
  j["lm_status"] = fit.lm_status;
  j["pricer_check_vol"] = fit.pricer_check;
  j["model_yaml"] = model_yaml(fit.model);
  nlohmann::json opts = nlohmann::json::array();
  for (std::size_t k = 0; k < sel.options.size(); ++k) {
    const MarketOption& o = sel.options[k];
    opts.push_back({{"instrument", o.instrument}, {"line", o.line}, {"expiry_index", o.expiry_index},
                    {"type", to_string(o.type)}, {"strike", o.strike}, {"forward", o.forward},
                    {"market_iv", o.iv}, {"model_iv", json_number(fit.model_iv[k])}});
  }
  j["option_fits"] = opts;
  return j.dump(2);
}

void write_calibration_hdf5(const std::string& path, const CalibrationRun& run) {
  H5dont_atexit();
  H5E_auto2_t func = nullptr;
  void* data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  try {
    write_atomically(path, "calibration file", [&](const std::string& tmp) { write_file(tmp, run); });
  } catch (...) {
    H5Eset_auto2(H5E_DEFAULT, func, data);
    throw;
  }
  H5Eset_auto2(H5E_DEFAULT, func, data);
}

namespace {

template <class Enum>
Enum pick(const std::string& text, const std::string& flag, std::initializer_list<std::pair<const char*, Enum>> choices) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
    names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
  }
  throw InputError(fmt::format("{} = '{}': expected one of {}", flag, text, names));
}

}  // namespace

CalibrationRun run_calibration(const CalibrateRequest& r, const std::string& prefix) {
  CalibrationRun run;
  run.command_line = r.command_line;
  run.chain_path = r.chain;
  run.fit_spec.model = parse_enum<ModelType>(r.model, prefix + "model");
  run.fit_spec.weights = pick<FitWeights>(r.weights, prefix + "weights",
                                          {{"none", FitWeights::none}, {"vega", FitWeights::vega}, {"spread", FitWeights::spread}});
  run.fit_spec.space = pick<FitSpace>(r.space, prefix + "space", {{"vol", FitSpace::vol}, {"price", FitSpace::price}});
  if (r.starts < 1 || r.starts > 64)
    throw InputError(fmt::format("{}starts = {}: expected an integer from 1 to 64", prefix, r.starts));
  run.fit_spec.starts = r.starts;
  run.selection_spec = {r.currency, r.min_days, r.max_days, r.min_moneyness, r.max_moneyness};
  if (r.out) check_output_writable(*r.out);
  const auto t0 = std::chrono::steady_clock::now();
  const Chain chain = read_chain(r.chain);
  run.selection = select_options(chain, run.selection_spec);
  run.read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  run.fit = calibrate(run.selection, run.fit_spec);
  if (r.out) write_calibration_hdf5(*r.out, run);
  return run;
}

SurfaceCalibration run_surface_calibration(const CalibrateRequest& r, const std::string& surface_path) {
  SurfaceCalibration run;
  run.chain_path = r.chain;
  run.surface_path = surface_path;
  check_output_writable(surface_path);
  const SelectionSpec spec{r.currency, r.min_days, r.max_days, r.min_moneyness, r.max_moneyness};
  run.selection = select_options(read_chain(r.chain), spec);
  run.fit = fit_surface(run.selection, r.chain, r.currency);
  const std::string text = surface_file_yaml(run.fit.file);
  write_atomically(surface_path, "surface file", [&](const std::string& tmp) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) throw RuntimeFailure(fmt::format("cannot create {}", tmp));
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (std::fclose(f) != 0 || !ok) throw RuntimeFailure(fmt::format("writing {} failed", tmp));
  });
  return run;
}

}  // namespace hedgesim
