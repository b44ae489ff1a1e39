// The `hedgesim run` results file (docs/hdf5.md) over HDF5's C API (Debian libhdf5-dev 1.10): every
// handle is owned by an RAII Handle, every call is checked, and a failure becomes a RuntimeFailure
// carrying HDF5's own error-stack messages (its automatic printing is silenced meanwhile).
#include "hedgesim/io/hdf5_writer.hpp"
#include "hedgesim/io/units.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hedgesim/backtest/utc_time.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/io/backtest_hdf5.hpp"
#include "hedgesim/version.hpp"

namespace hedgesim {
namespace {

constexpr char kFormatName[] = "hedgesim-results";
constexpr hsize_t kChunkValues = 65536;  ///< per-path datasets: 512 KiB chunks of float64
constexpr unsigned kDeflateLevel = 4;

// ---- HDF5 errors: silence the automatic printing, turn the error stack into a message.

/// Saves HDF5's automatic error handler, switches it off, and restores it on scope exit.
class SilenceHdf5Errors {
 public:
  SilenceHdf5Errors() {
    saved_ = H5Eget_auto2(H5E_DEFAULT, &func_, &data_) >= 0;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~SilenceHdf5Errors() {
    if (saved_) H5Eset_auto2(H5E_DEFAULT, func_, data_);
  }
  SilenceHdf5Errors(const SilenceHdf5Errors&) = delete;
  SilenceHdf5Errors& operator=(const SilenceHdf5Errors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

herr_t collect_error(unsigned, const H5E_error2_t* e, void* data) {
  auto& out = *static_cast<std::vector<std::string>*>(data);
  if (e->desc != nullptr && *e->desc != '\0' && (out.empty() || out.back() != e->desc)) out.emplace_back(e->desc);
  return 0;
}

/// The current HDF5 error stack in a line: the outermost description and, where a lower frame quotes
/// one, the OS reason, e.g. "unable to create file (No such file or directory)". Clears the stack.
std::string hdf5_reason() {
  std::vector<std::string> frames;
  const hid_t stack = H5Eget_current_stack();
  if (stack >= 0) {
    H5Ewalk2(stack, H5E_WALK_DOWNWARD, collect_error, &frames);
    H5Eclose_stack(stack);
  }
  if (frames.empty()) return "HDF5 reported no detail";
  std::string reason = frames.front().substr(0, frames.front().find('\n'));
  constexpr std::string_view kOsTag = "error message = '";
  for (const std::string& f : frames) {
    const std::size_t at = f.find(kOsTag);
    if (at == std::string::npos) continue;
    const std::size_t begin = at + kOsTag.size();
    const std::string os = f.substr(begin, f.find('\'', begin) - begin);
    if (reason.find(os) == std::string::npos) reason += " (" + os + ")";
    break;
  }
  return reason;
}

[[noreturn]] void fail(const std::string& what) { throw RuntimeFailure(fmt::format("{} failed: {}", what, hdf5_reason())); }

void check(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

/// An owned HDF5 identifier, closed by the function it was created with.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer closer, const std::string& what) : id_(id), closer_(closer) {
    if (id_ < 0) fail(what);
  }
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, -1)), closer_(o.closer_) {}
  Handle& operator=(Handle&&) = delete;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  operator hid_t() const { return id_; }  // NOLINT: handles pass straight to the C API
  /// Closes now and throws if that fails (a file's close flushes it, so its status matters).
  void close(const std::string& what) {
    const hid_t id = std::exchange(id_, -1);
    check(closer_(id), what);
  }

 private:
  hid_t id_;
  Closer closer_;
};

// ---- Types and small writers.

template <class T>
struct H5Type;
template <>
struct H5Type<double> {
  static hid_t file() { return H5T_IEEE_F64LE; }
  static hid_t mem() { return H5T_NATIVE_DOUBLE; }
};
template <>
struct H5Type<std::uint64_t> {
  static hid_t file() { return H5T_STD_U64LE; }
  static hid_t mem() { return H5T_NATIVE_UINT64; }
};
template <>
struct H5Type<std::uint32_t> {
  static hid_t file() { return H5T_STD_U32LE; }
  static hid_t mem() { return H5T_NATIVE_UINT32; }
};
template <>
struct H5Type<std::int64_t> {
  static hid_t file() { return H5T_STD_I64LE; }
  static hid_t mem() { return H5T_NATIVE_INT64; }
};
template <>
struct H5Type<std::int32_t> {
  static hid_t file() { return H5T_STD_I32LE; }
  static hid_t mem() { return H5T_NATIVE_INT32; }
};

Handle scalar_space() { return Handle(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate(scalar)"); }

Handle simple_space(std::span<const hsize_t> dims) {
  return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                "H5Screate_simple");
}

/// Variable-length UTF-8 string, the only string type hedgesim writes, and only in attributes: h5py
/// reads such an attribute as str, whereas it reads every string inside a dataset (fixed-length,
/// variable-length, a compound's field) as bytes (docs/hdf5.md, "Types").
Handle vlen_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy(string)");
  check(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size(variable)");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset(UTF-8)");
  return t;
}

/// "/group/name" for messages.
std::string object_path(hid_t parent, const std::string& name) {
  char buf[512] = {};
  const ssize_t n = H5Iget_name(parent, buf, sizeof buf);
  const std::string dir = n > 0 ? std::string(buf) : std::string();
  return dir.empty() || dir.back() != '/' ? dir + "/" + name : dir + name;
}

Handle create_group(hid_t parent, const std::string& name, bool track_order = false) {
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "H5Pcreate(group)");
  if (track_order)
    check(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "H5Pset_link_creation_order");
  return Handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose,
                fmt::format("creating group '{}'", object_path(parent, name)));
}

void write_attr_strings(hid_t obj, const char* name, const std::vector<std::string>& values, bool scalar) {
  const Handle type = vlen_string_type();
  const hsize_t n = values.size();
  const Handle space = scalar ? scalar_space() : simple_space(std::span<const hsize_t>(&n, 1));
  const Handle attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                    fmt::format("creating attribute '{}'", name));
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (!ptrs.empty()) check(H5Awrite(attr, type, ptrs.data()), fmt::format("writing attribute '{}'", name));
}

void write_attr(hid_t obj, const char* name, const std::string& value) { write_attr_strings(obj, name, {value}, true); }
void write_attr(hid_t obj, const char* name, const char* value) { write_attr_strings(obj, name, {value}, true); }

template <class T>
void write_attr(hid_t obj, const char* name, T value) {
  const Handle space = scalar_space();
  const Handle attr(H5Acreate2(obj, name, H5Type<T>::file(), space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                    fmt::format("creating attribute '{}'", name));
  check(H5Awrite(attr, H5Type<T>::mem(), &value), fmt::format("writing attribute '{}'", name));
}

void write_attr_array(hid_t obj, const char* name, std::span<const double> values) {
  const hsize_t n = values.size();
  const Handle space = simple_space(std::span<const hsize_t>(&n, 1));
  const Handle attr(H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                    fmt::format("creating attribute '{}'", name));
  if (n > 0) check(H5Awrite(attr, H5T_NATIVE_DOUBLE, values.data()), fmt::format("writing attribute '{}'", name));
}

/// A float64 / uint64 dataset of shape `dims` (row-major `values`) with a `units` attribute (one of
/// io/units.hpp) and, when given, a `description`; chunked, shuffled and deflated when `compress` (1-D).
template <class T>
void write_dataset(hid_t parent, const std::string& name, std::span<const T> values, std::vector<hsize_t> dims,
                   const std::string& units, bool compress = false, const std::string& description = "") {
  const std::string where = object_path(parent, name);
  if (!is_unit(units))
    throw RuntimeFailure(fmt::format("dataset '{}': units '{}' is not one of io/units.hpp's (a bug)", where, units));
  hsize_t total = 1;
  for (const hsize_t d : dims) total *= d;
  if (total != values.size())
    throw RuntimeFailure(fmt::format("dataset '{}': {} values for shape of {} elements", where, values.size(), total));
  const Handle space = simple_space(dims);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate(dataset)");
  if (compress && dims.size() == 1 && total > 0) {
    const hsize_t chunk = std::min(total, kChunkValues);
    check(H5Pset_chunk(dcpl, 1, &chunk), fmt::format("H5Pset_chunk('{}')", where));
    check(H5Pset_shuffle(dcpl), fmt::format("H5Pset_shuffle('{}')", where));
    check(H5Pset_deflate(dcpl, kDeflateLevel), fmt::format("H5Pset_deflate('{}')", where));
  }
  Handle dset(H5Dcreate2(parent, name.c_str(), H5Type<T>::file(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
              fmt::format("creating dataset '{}'", where));
  if (total > 0)
    check(H5Dwrite(dset, H5Type<T>::mem(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          fmt::format("writing dataset '{}'", where));
  write_attr(dset, "units", units);
  if (!description.empty()) write_attr(dset, "description", description);
  dset.close(fmt::format("closing dataset '{}'", where));  // flushes the chunk cache: a write error shows here
}

// ---- The layout (docs/hdf5.md).

/// A float64 column of /summary: the same name and value as the policy's key in `run --json`.
struct SummaryColumn {
  std::string name;
  std::string units;
  std::function<double(const PolicyResult&)> value;
};

/// The columns of /summary for a run with `fields` path fields (RunReport::path_fields).
std::vector<SummaryColumn> summary_columns(unsigned fields) {
  std::vector<SummaryColumn> c = {
      {"pnl_mean", "USD", [](const PolicyResult& r) { return r.pnl.mean; }},
      {"pnl_mean_stderr", "USD", [](const PolicyResult& r) { return r.pnl.mean_stderr; }},
      {"pnl_std", "USD", [](const PolicyResult& r) { return r.pnl.std; }},
      {"pnl_skewness", "1", [](const PolicyResult& r) { return r.pnl.skewness; }},
      {"pnl_excess_kurtosis", "1", [](const PolicyResult& r) { return r.pnl.excess_kurtosis; }},
      {"pnl_var_95", "USD", [](const PolicyResult& r) { return r.pnl.var_95; }},
      {"pnl_es_95", "USD", [](const PolicyResult& r) { return r.pnl.es_95; }},
      {"pnl_var_99", "USD", [](const PolicyResult& r) { return r.pnl.var_99; }},
      {"pnl_es_99", "USD", [](const PolicyResult& r) { return r.pnl.es_99; }},
      {"cost_mean", "USD", [](const PolicyResult& r) { return r.cost.mean; }},
      {"cost_std", "USD", [](const PolicyResult& r) { return r.cost.std; }},
  };
  for (unsigned f = 0; f < fields; ++f) {
    const auto field = static_cast<PathField>(f);
    if (field == PathField::pnl || field == PathField::cost) continue;  // full summaries above
    c.push_back({std::string(to_string(field)) + "_mean", units_of(field),
                 [f](const PolicyResult& r) { return r.fields[f].mean(); }});
  }
  return c;
}

/// The float64 columns of /summary, one compound type; the policies' names and types are the
/// dataset's string attributes `name` and `type` (strings in a dataset would reach h5py as bytes).
Handle summary_type(const std::vector<SummaryColumn>& cols, hid_t double_type) {
  Handle t(H5Tcreate(H5T_COMPOUND, 8 * cols.size()), H5Tclose, "H5Tcreate(compound)");
  for (std::size_t i = 0; i < cols.size(); ++i)
    check(H5Tinsert(t, cols[i].name.c_str(), 8 * i, double_type), fmt::format("H5Tinsert({})", cols[i].name));
  return t;
}

void write_summary(hid_t file, const RunReport& report) {
  const std::vector<SummaryColumn> cols = summary_columns(report.path_fields);
  std::vector<double> rows;
  rows.reserve(cols.size() * report.policies.size());
  std::vector<std::string> names, types;
  for (const PolicyResult& r : report.policies) {
    names.push_back(r.spec.name);
    types.emplace_back(to_string(r.spec.type));
    for (const SummaryColumn& c : cols) rows.push_back(c.value(r));
  }
  const Handle file_type = summary_type(cols, H5T_IEEE_F64LE);
  const Handle mem_type = summary_type(cols, H5T_NATIVE_DOUBLE);
  const hsize_t n = report.policies.size();
  const Handle space = simple_space(std::span<const hsize_t>(&n, 1));
  const Handle dset(H5Dcreate2(file, "summary", file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
                    "creating dataset '/summary'");
  if (n > 0) check(H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), "writing '/summary'");
  write_attr_strings(dset, "name", names, false);
  write_attr_strings(dset, "type", types, false);
  std::vector<std::string> units;
  for (const SummaryColumn& c : cols) units.push_back(c.units);
  write_attr_strings(dset, "units", units, false);
}

void write_summary_quantiles(hid_t file, const RunReport& report) {
  const std::vector<double>& levels =
      report.policies.empty() ? std::vector<double>() : report.policies.front().pnl.quantile_levels;
  const std::size_t np = report.policies.size();
  const std::size_t nl = levels.size();
  std::vector<double> pnl, cost;
  for (const PolicyResult& r : report.policies) {
    for (const Summary* s : {&r.pnl, &r.cost}) {
      if (s->quantile_levels != levels || s->quantiles.size() != nl)
        throw RuntimeFailure(fmt::format("policy '{}': quantile levels differ between summaries", r.spec.name));
    }
    pnl.insert(pnl.end(), r.pnl.quantiles.begin(), r.pnl.quantiles.end());
    cost.insert(cost.end(), r.cost.quantiles.begin(), r.cost.quantiles.end());
  }
  const Handle group = create_group(file, "summary_quantiles");
  write_attr(group, "method", "Hyndman-Fan type 7 (linear interpolation, numpy.quantile's default)");
  write_dataset<double>(group, "levels", levels, {nl}, "1");
  write_dataset<double>(group, "pnl", pnl, {np, nl}, "USD");
  write_dataset<double>(group, "cost", cost, {np, nl}, "USD");
}

void write_policy(hid_t policies, const RunSpec& spec, const RunReport& report, std::size_t index) {
  const PolicyResult& r = report.policies[index];
  const Handle group = create_group(policies, r.spec.name);
  write_attr(group, "type", std::string(to_string(r.spec.type)));
  write_attr(group, "summary_row", static_cast<std::uint32_t>(index));
  {
    const Handle hist = create_group(group, "histogram");
    write_attr(hist, "field", "pnl");
    const std::size_t bins = r.pnl_histogram.counts.size();
    if (r.pnl_histogram.edges.size() != bins + 1)
      throw RuntimeFailure(fmt::format("policy '{}': histogram has {} edges for {} bins", r.spec.name,
                                       r.pnl_histogram.edges.size(), bins));
    write_dataset<double>(hist, "edges", r.pnl_histogram.edges, {bins + 1}, "USD");
    write_dataset<std::uint64_t>(hist, "counts", r.pnl_histogram.counts, {bins}, "count");
  }
  if (!spec.output.per_path) return;
  for (unsigned f = 0; f < report.path_fields; ++f) {
    const std::vector<double>& v = r.per_path[f];
    const char* name = to_string(static_cast<PathField>(f));
    if (v.size() != report.paths)
      throw RuntimeFailure(fmt::format("policy '{}': {} per-path values of '{}' for {} paths", r.spec.name, v.size(),
                                       name, report.paths));
    write_dataset<double>(group, name, v, {v.size()}, units_of(static_cast<PathField>(f)), true);
  }
}

/// The root attributes every results file starts with: format, provenance and the simulation's size.
/// `kind`, when given, follows format_version (optimise files).
void write_provenance(hid_t file, const RunSpec& spec, const RunInfo& report, const char* kind = nullptr) {
  write_attr(file, "format", kFormatName);
  write_attr(file, "format_version", static_cast<std::int32_t>(kHdf5FormatVersion));
  if (kind != nullptr) write_attr(file, "kind", kind);
  write_attr(file, "hedgesim_version", HEDGESIM_VERSION);
  write_attr(file, "git_commit", HEDGESIM_GIT_COMMIT);
  write_attr(file, "created_utc", format_utc(std::time(nullptr)));
  if (!spec.effective_config.empty()) write_attr(file, "effective_config", spec.effective_config);
  if (!spec.command_line.empty()) write_attr(file, "command_line", spec.command_line);
  write_attr(file, "backend", std::string(to_string(report.backend.kind)));
  write_attr(file, "device", report.backend.device);
  write_attr(file, "threads",
             static_cast<std::uint32_t>(report.backend.kind == BackendKind::cpu ? report.backend.threads : 0));
  write_attr(file, "seed", static_cast<std::uint64_t>(report.seed));
  write_attr(file, "paths", static_cast<std::uint64_t>(report.paths));
  write_attr(file, "steps", static_cast<std::uint32_t>(report.steps));
  write_attr(file, "precision", std::string(to_string(report.precision)));
  write_attr(file, "model", std::string(to_string(spec.model.type)));
  write_attr(file, "measure", std::string(to_string(spec.simulation.measure)));
}

void write_root_attributes(hid_t file, const RunSpec& spec, const RunReport& report) {
  write_provenance(file, spec, report);
  write_attr(file, "elapsed_s", report.elapsed_s);
  write_attr(file, "path_steps_per_s", report.path_steps_per_s);
  write_attr_array(file, "premiums", report.premiums);
  write_attr(file, "config", spec.config_text);
  write_attr(file, "config_path", spec.config_path);
}

/// Writes the whole file at `file_path` and closes it (the close flushes: its failure is reported).
/// /sample_paths: the first paths at every step, for plots.
void write_sample_paths(hid_t file, const SamplePaths& s, const SampleTrades& t) {
  if (s.count == 0) return;
  const Handle group = create_group(file, "sample_paths");
  const hsize_t points = s.time_days.size();
  write_dataset<double>(group, "time", s.time_days, {points}, "days");
  write_dataset<double>(group, "spot", s.spot, {s.count, points}, "USD");
  write_dataset<double>(group, "variance", s.variance, {s.count, points}, "1/year");
  if (t.policies > 0 && t.count == s.count && t.points == points)
    write_dataset<std::uint32_t>(group, "trades", t.executed, {t.policies, t.count, points},
                                 "1", false, "1 = the policy (/summary order) executed a trade at that step");
  if (!t.pool_delta.empty() && t.count == s.count && t.points == points) {
    write_dataset<double>(group, "pool_delta", t.pool_delta, {t.count, points}, "coin", false,
                          "the delta of the pool's inventory of board series after each decision's customers");
    write_dataset<double>(group, "pool_gamma", t.pool_gamma, {t.count, points}, "coin/USD", false,
                          "the gamma of that inventory");
    write_dataset<double>(group, "pool_vega", t.pool_vega, {t.count, points}, "USD", false,
                          "the vega of that inventory per vol point (0.01 of volatility)");
  }
}

void write_file(const std::string& file_path, const RunSpec& spec, const RunReport& report) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate(file access)");
  // Closing the file fails, rather than silently deferring, if any object were still open.
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "H5Pset_fclose_degree");
  Handle file(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
              fmt::format("creating '{}'", file_path));
  write_root_attributes(file, spec, report);
  write_summary(file, report);
  write_summary_quantiles(file, report);
  {
    const Handle policies = create_group(file, "policies", true);
    for (std::size_t p = 0; p < report.policies.size(); ++p) write_policy(policies, spec, report, p);
  }
  write_sample_paths(file, report.sample_paths, report.sample_trades);
  file.close(fmt::format("closing '{}'", file_path));
}

// ---- The optimise report (docs/hdf5.md, "Optimise files").

void write_optimise_root(hid_t file, const RunSpec& spec, const OptimiseReport& report) {
  write_provenance(file, spec, report, "optimise");
  write_attr(file, "oos_seed", static_cast<std::uint64_t>(report.oos_seed));
  write_attr(file, "oos_paths", static_cast<std::uint64_t>(report.oos_paths));
  write_attr(file, "elapsed_s", report.search_elapsed_s);
  write_attr(file, "oos_elapsed_s", report.oos_elapsed_s);
  write_attr(file, "candidates_per_s", report.candidates_per_s);
  write_attr(file, "passes", static_cast<std::uint64_t>(report.passes));
  const OptimiseSpec& o = spec.optimise;
  write_attr(file, "risk", std::string(to_string(o.risk)));
  write_attr(file, "risk_level", o.level);
  write_attr(file, "risk_aversion", o.risk_aversion);
  write_attr(file, "objective", o.budget_form ? "min risk subject to mean cost <= budget" : "mean cost + lambda * risk");
  write_attr(file, "config", spec.config_text);
  write_attr(file, "config_path", spec.config_path);
  std::vector<std::string> names, types;
  for (const FamilySpec& f : o.families) {
    names.push_back(f.name);
    types.push_back(to_string(f.base.type));
  }
  write_attr_strings(file, "family_names", names, false);
  write_attr_strings(file, "family_types", types, false);
  if (!report.warnings.empty()) write_attr_strings(file, "warnings", report.warnings, false);
}

/// Column-per-dataset table: one value per row in every dataset of the group.
struct Columns {
  std::vector<std::uint32_t> family, search, pass, sample, feasible;
  std::vector<double> level, parameters, objective, objective_se, cost_mean, cost_se, risk, risk_se, pnl_mean, pnl_std,
      trades_mean;
  void add(const OptimiseReport& rep, const OptimiseSpec& o, unsigned fam, unsigned srch, unsigned ps, bool oos,
           const std::vector<double>& values, const CandidateStats& s, const ObjectiveValue& v) {
    family.push_back(fam);
    search.push_back(srch);
    pass.push_back(ps);
    sample.push_back(oos ? 1u : 0u);
    feasible.push_back(v.feasible ? 1u : 0u);
    level.push_back(rep.searches[srch].level);
    for (std::size_t i = 0; i < kMaxParams; ++i) parameters.push_back(i < values.size() ? values[i] : std::nan(""));
    objective.push_back(v.value);
    objective_se.push_back(v.se);
    cost_mean.push_back(s.cost_mean);
    cost_se.push_back(s.cost_se);
    risk.push_back(s.risk);
    risk_se.push_back(s.risk_se);
    pnl_mean.push_back(s.pnl_mean);
    pnl_std.push_back(s.pnl_std);
    trades_mean.push_back(s.trades_mean);
    (void)o;
  }
  void write(hid_t g, const std::string& risk_units, const std::string& objective_units) const {
    const hsize_t n = family.size();
    write_dataset<std::uint32_t>(g, "family", family, {n}, "index", false, "index into the root attribute family_names");
    write_dataset<std::uint32_t>(g, "search", search, {n}, "index", false, "row of /searches");
    write_dataset<std::uint32_t>(g, "pass", pass, {n}, "index", false, "the pass over the paths that evaluated it (0-based)");
    write_dataset<std::uint32_t>(g, "sample", sample, {n}, "1", false, "0 in-sample, 1 out-of-sample");
    write_dataset<std::uint32_t>(g, "feasible", feasible, {n}, "1", false, "1 when mean cost <= budget (always 1 for lambda)");
    write_dataset<double>(g, "level", level, {n}, "mixed", false, "lambda (USD per USD of risk: 1) or cost budget (USD)");
    write_dataset<double>(g, "parameters", parameters, {n, kMaxParams}, "mixed", false, "each free parameter in its own unit, named by /searches parameter_names; NaN unused");
    write_dataset<double>(g, "objective", objective, {n}, objective_units);
    write_dataset<double>(g, "objective_se", objective_se, {n}, objective_units);
    write_dataset<double>(g, "cost_mean", cost_mean, {n}, "USD");
    write_dataset<double>(g, "cost_se", cost_se, {n}, "USD");
    write_dataset<double>(g, "risk", risk, {n}, risk_units);
    write_dataset<double>(g, "risk_se", risk_se, {n}, risk_units);
    write_dataset<double>(g, "pnl_mean", pnl_mean, {n}, "USD");
    write_dataset<double>(g, "pnl_std", pnl_std, {n}, "USD");
    write_dataset<double>(g, "trades_mean", trades_mean, {n}, "count", false, "mean trades per path");
  }
  static constexpr std::size_t kMaxParams = 6;
};

void write_optimise_file(const std::string& file_path, const RunSpec& spec, const OptimiseReport& report) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate(file access)");
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "H5Pset_fclose_degree");
  Handle file(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
              fmt::format("creating '{}'", file_path));
  write_optimise_root(file, spec, report);
  const OptimiseSpec& o = spec.optimise;
  const std::string risk_units = o.risk == RiskMeasure::variance ? "USD^2" : "USD";
  // cost + lambda * variance adds USD to USD^2 (lambda per USD): mixed.
  const std::string objective_units = o.budget_form ? risk_units : (o.risk == RiskMeasure::variance ? "mixed" : "USD");
  {
    Columns c;
    for (const CandidateRow& r : report.rows)
      c.add(report, o, r.family, r.search, r.pass, false, r.values, report.in_sample[r.stats], r.objective);
    for (std::size_t i = 0; i < report.searches.size(); ++i) {
      const SearchRecord& s = report.searches[i];
      const CandidateRow& best = report.rows[s.best_row];
      c.add(report, o, s.family, static_cast<unsigned>(i), static_cast<unsigned>(report.passes), true, best.values,
            s.out_of_sample, s.objective_out);
    }
    const Handle g = create_group(file, "frontier");
    c.write(g, risk_units, objective_units);
  }
  {
    // One row per search: the in-sample optimum of a family at a level and its out-of-sample value.
    Columns in, out;
    std::vector<std::uint32_t> best_row, evaluations, converged;
    std::vector<std::string> method, names;
    std::vector<double> z;
    for (std::size_t i = 0; i < report.searches.size(); ++i) {
      const SearchRecord& s = report.searches[i];
      const CandidateRow& b = report.rows[s.best_row];
      in.add(report, o, s.family, static_cast<unsigned>(i), b.pass, false, b.values, report.in_sample[b.stats], s.objective_in);
      out.add(report, o, s.family, static_cast<unsigned>(i), 0, true, b.values, s.out_of_sample, s.objective_out);
      best_row.push_back(static_cast<std::uint32_t>(s.best_row));
      evaluations.push_back(static_cast<std::uint32_t>(s.evaluations));
      converged.push_back(s.converged ? 1u : 0u);
      method.push_back(s.method);
      z.push_back(s.difference_z);
      std::string pn;
      for (const ParameterBound& p : o.families[s.family].free) pn += (pn.empty() ? "" : ",") + p.name;
      names.push_back(pn);
    }
    const Handle g = create_group(file, "searches");
    const hsize_t n = best_row.size();
    {
      const Handle gi = create_group(g, "in_sample");
      in.write(gi, risk_units, objective_units);
      const Handle go = create_group(g, "out_of_sample");
      out.write(go, risk_units, objective_units);
    }
    write_dataset<std::uint32_t>(g, "best_row", best_row, {n}, "index", false, "row of /frontier");
    write_dataset<std::uint32_t>(g, "evaluations", evaluations, {n}, "count", false, "candidates evaluated");
    write_dataset<std::uint32_t>(g, "converged", converged, {n}, "1", false, "1 stopped on tolerance, 0 on budget");
    write_dataset<double>(g, "difference_z", z, {n}, "1", false, "(out of sample - in sample) / standard error of the difference");
    write_attr_strings(g, "method", method, false);
    write_attr_strings(g, "parameter_names", names, false);
  }
  {
    const SearchRecord& s = report.searches[report.chosen];
    const CandidateRow& b = report.rows[s.best_row];
    const CandidateStats& in = report.in_sample[b.stats];
    const Handle g = create_group(file, "optimum");
    write_attr(g, "family", o.families[s.family].name);
    write_attr(g, "type", std::string(to_string(o.families[s.family].base.type)));
    write_attr(g, "policy_type", std::string(to_string(b.policy.type)));
    write_attr(g, "search", static_cast<std::uint32_t>(report.chosen));
    write_attr(g, "level", s.level);
    std::vector<std::string> names;
    for (const ParameterBound& p : o.families[s.family].free) names.push_back(p.name);
    write_attr_strings(g, "parameter_names", names, false);
    write_attr_array(g, "parameters", b.values);
    const double in_vals[] = {s.objective_in.value, s.objective_in.se, in.cost_mean, in.cost_se, in.risk, in.risk_se};
    const double out_vals[] = {s.objective_out.value, s.objective_out.se, s.out_of_sample.cost_mean,
                               s.out_of_sample.cost_se, s.out_of_sample.risk, s.out_of_sample.risk_se};
    write_attr_array(g, "in_sample", in_vals);
    write_attr_array(g, "out_of_sample", out_vals);
    write_attr_strings(g, "columns", {"objective", "objective_se", "cost_mean", "cost_se", "risk", "risk_se"}, false);
    write_attr(g, "difference_z", s.difference_z);
    const ChoiceCheck& c = report.choice;
    if (c.has_runner_up) {
      write_attr(g, "runner_up_family", o.families[report.searches[c.runner_up].family].name);
      write_attr(g, "runner_up_difference", c.difference);
      write_attr(g, "runner_up_difference_se", c.difference_se);
      write_attr(g, "distinguishable", static_cast<std::uint32_t>(c.distinguishable ? 1 : 0));
      write_attr(g, "paths_needed", c.paths_needed);
    }
  }
  file.close(fmt::format("closing '{}'", file_path));
}

/// Writes a results file through `write(tmp)` by write_atomically, with HDF5's error printing off.
void write_results_file(const std::string& path, const std::function<void(const std::string& tmp)>& write) {
  // A file whose flush failed (disk full) stays registered in HDF5 1.10 and its exit-time cleanup then
  // crashes flushing it again; without that cleanup the process exits with its own code. Effective only
  // before HDF5's first use (it fails harmlessly afterwards); files are always closed explicitly here.
  H5dont_atexit();
  const SilenceHdf5Errors silence;
  write_atomically(path, "results file", write);
}

}  // namespace

void write_run_hdf5(const std::string& path, const RunSpec& spec, const RunReport& report) {
  write_results_file(path, [&](const std::string& tmp) { write_file(tmp, spec, report); });
}

// ───────────────────────────── backtest (docs/hdf5.md, /backtest) ─────────────────────────────

namespace {

void write_issue_attrs(hid_t group, const std::string& prefix, const DataIssues& d) {
  const std::pair<const char*, std::uint64_t> fields[] = {
      {"rows", d.rows},         {"kept", d.kept},         {"duplicates", d.duplicates},
      {"out_of_order", d.out_of_order}, {"misaligned", d.misaligned}, {"non_positive", d.non_positive},
      {"implausible", d.implausible}, {"gaps", d.gaps},         {"missing", d.missing},   {"outside", d.outside}};
  for (const auto& [name, value] : fields) write_attr(group, (prefix + "_" + name).c_str(), value);
}

void write_backtest_group(hid_t file, const RunSpec& spec, const BacktestReport& rep) {
  const Handle group = create_group(file, "backtest");
  const RunReport& h = rep.history;
  const std::size_t nw = h.paths;
  const std::size_t n_opt = spec.book.size();
  const std::size_t np = h.policies.size();
  write_attr(group, "prices_file", rep.prices_file);
  write_attr(group, "funding_file", rep.funding_file);
  write_attr(group, "gas_file", rep.gas_file);
  write_attr(group, "data_first_utc", format_utc(rep.data_first));
  write_attr(group, "data_last_utc", format_utc(rep.data_last));
  write_attr(group, "stride_hours", rep.stride_hours);
  write_attr(group, "steps", static_cast<std::uint32_t>(h.steps));
  write_attr(group, "vol_source", std::string(to_string(spec.backtest.vol)));
  write_attr(group, "realized_window_hours", spec.backtest.realized_window_hours);
  write_attr(group, "on_bad_data", std::string(to_string(spec.backtest.on_bad_data)));
  write_attr(group, "windows", static_cast<std::uint64_t>(nw));
  write_attr(group, "window_candidates", rep.candidates);
  write_attr(group, "windows_skipped_gap", rep.skipped_gap);
  write_attr(group, "windows_skipped_funding", rep.skipped_funding);
  write_attr(group, "windows_skipped_gas", rep.skipped_gas);
  write_attr(group, "elapsed_s", h.elapsed_s);
  write_attr(group, "threads", static_cast<std::uint32_t>(h.backend.threads));
  write_issue_attrs(group, "prices", rep.price_issues);
  if (!rep.funding_file.empty()) write_issue_attrs(group, "funding", rep.funding_issues);
  if (!rep.gas_file.empty()) write_issue_attrs(group, "gas", rep.gas_issues);
  {
    const Handle w = create_group(group, "windows");
    write_dataset<std::int64_t>(w, "start_time", rep.window_start, {nw}, "s", false, "Unix time: seconds since 1970-01-01T00:00:00Z");
    write_dataset<double>(w, "start_spot", rep.start_spot, {nw}, "USD");
    write_dataset<double>(w, "end_spot", rep.end_spot, {nw}, "USD");
    write_dataset<double>(w, "vol", rep.vol, {nw}, "1/sqrt(year)");
    write_dataset<double>(w, "strike", rep.strike, {nw, n_opt}, "USD");
    write_dataset<double>(w, "premium", rep.premium, {nw, n_opt}, "USD", false, "per unit of each option");
  }
  write_summary(group, h);
  write_summary_quantiles(group, h);
  {
    RunSpec per_window = spec;
    per_window.output.per_path = true;
    const Handle policies = create_group(group, "policies", true);
    for (std::size_t p = 0; p < np; ++p) {
      write_policy(policies, per_window, h, p);
      const Handle g(H5Gopen2(policies, h.policies[p].spec.name.c_str(), H5P_DEFAULT), H5Gclose, "opening policy group");
      write_dataset<double>(g, "pnl_scaled", rep.pnl_scaled[p], {nw}, "USD", false, "at the Monte Carlo model's price level, model.spot");
    }
  }
  if (!rep.model_checked) return;
  const Handle mc = create_group(group, "model_check");
  write_attr(mc, "test", "two-sample Kolmogorov-Smirnov, asymptotic p-value (Stephens 1970)");
  write_attr(mc, "model", std::string(to_string(spec.model.type)));
  write_attr(mc, "paths", static_cast<std::uint64_t>(rep.model.paths));
  write_attr(mc, "seed", static_cast<std::uint64_t>(rep.model.seed));
  write_attr(mc, "backend", std::string(to_string(rep.model.backend.kind)));
  write_attr(mc, "elapsed_s", rep.model.elapsed_s);
  std::vector<std::string> names;
  std::vector<double> bq, mq, d, pv, pvi, eff, bmean, bstd, mmean, mstd;
  for (std::size_t p = 0; p < np; ++p) {
    const ModelCheck& c = rep.checks[p];
    names.push_back(h.policies[p].spec.name);
    bq.insert(bq.end(), c.backtest_quantiles.begin(), c.backtest_quantiles.end());
    mq.insert(mq.end(), c.model_quantiles.begin(), c.model_quantiles.end());
    d.push_back(c.ks_statistic);
    pv.push_back(c.ks_p_value);
    pvi.push_back(c.ks_p_value_independent);
    eff.push_back(c.effective_windows);
    bmean.push_back(c.backtest_mean);
    bstd.push_back(c.backtest_std);
    mmean.push_back(c.model_mean);
    mstd.push_back(c.model_std);
  }
  write_attr_strings(mc, "policies", names, false);
  const std::vector<double> levels = np ? rep.checks.front().levels : std::vector<double>();
  const std::size_t nl = levels.size();
  write_dataset<double>(mc, "levels", levels, {nl}, "1");
  write_dataset<double>(mc, "backtest_quantiles", bq, {np, nl}, "USD", false, "at the Monte Carlo model's price level, model.spot");
  write_dataset<double>(mc, "model_quantiles", mq, {np, nl}, "USD");
  write_dataset<double>(mc, "backtest_mean", bmean, {np}, "USD", false, "at the Monte Carlo model's price level, model.spot");
  write_dataset<double>(mc, "backtest_std", bstd, {np}, "USD", false, "at the Monte Carlo model's price level, model.spot");
  write_dataset<double>(mc, "model_mean", mmean, {np}, "USD");
  write_dataset<double>(mc, "model_std", mstd, {np}, "USD");
  write_dataset<double>(mc, "ks_statistic", d, {np}, "1");
  write_dataset<double>(mc, "ks_p_value", pv, {np}, "1");
  write_dataset<double>(mc, "ks_p_value_independent", pvi, {np}, "1");
  write_dataset<double>(mc, "effective_windows", eff, {np}, "count");
}

void write_backtest_file(const std::string& file_path, const RunSpec& spec, const BacktestReport& rep) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "H5Pcreate(file access)");
  check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "H5Pset_fclose_degree");
  Handle file(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
              fmt::format("creating '{}'", file_path));
  write_root_attributes(file, spec, rep.history);
  write_attr(file, "command", "backtest");
  write_backtest_group(file, spec, rep);
  file.close(fmt::format("closing '{}'", file_path));
}

}  // namespace

void write_backtest_hdf5(const std::string& path, const RunSpec& spec, const BacktestReport& report) {
  write_results_file(path, [&](const std::string& tmp) { write_backtest_file(tmp, spec, report); });
}


void write_optimise_hdf5(const std::string& path, const RunSpec& spec, const OptimiseReport& report) {
  write_results_file(path, [&](const std::string& tmp) { write_optimise_file(tmp, spec, report); });
}

}  // namespace hedgesim
