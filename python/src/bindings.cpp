// hedgesim._hedgesim: the Python package's extension module (docs/python.md). A thin layer over the
// libraries the CLI uses: configs are parsed and validated by hedgesim_config (load_config,
// parse_config, apply_overrides, validate*), jobs run through the same job functions, results come back
// as the CLI's JSON (jobs/report_json.hpp) plus numpy arrays of what the JSON does not hold
// (histograms, per-path values). The Python side (python/hedgesim/__init__.py) builds DataFrames.
//
// The engine runs with the GIL released. Between batches the job's progress callback takes the GIL,
// calls the user's callback, and checks for signals (PyErr_CheckSignals): a KeyboardInterrupt from
// Ctrl-C, or any exception the callback raised, stops the job (a C++ exception through the job) and is
// raised again in Python once the GIL is back.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hedgesim/backtest/backtest_job.hpp"
#include "hedgesim/calibration/report.hpp"
#include "hedgesim/config.hpp"
#include "hedgesim/engine/backends.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/io/backtest_hdf5.hpp"
#include "hedgesim/io/hdf5_writer.hpp"
#include "hedgesim/jobs/price_job.hpp"
#include "hedgesim/jobs/report_json.hpp"
#include "hedgesim/jobs/run_job.hpp"
#include "hedgesim/optimise/optimise_job.hpp"
#include "hedgesim/stats/collectives.hpp"
#include "hedgesim/version.hpp"

namespace nb = nanobind;
namespace hs = hedgesim;

namespace {

/// The per-call settings Python passes (each None = the config's value), as text so that the config
/// keys' own parsing and ranges apply (apply_overrides), exactly as for the CLI's flags.
struct Overrides {
  std::optional<std::string> paths, seed, threads, backend, precision, devices, out;
};

/// The backtest command's own flags (--prices, --funding, --gas, --on-bad-data, --no-model-check).
using hs::BacktestOverrides;

/// The config with the overrides applied and validated as the CLI's flags are (apply_run_overrides),
/// messages naming the keyword argument ("paths = '-5': ...") instead of the flag ("--paths = ...").
/// A job that writes a results file then records its provenance (record_provenance, as the CLI does):
/// the config as it runs and `command_line`, the Python call as text (python/hedgesim/__init__.py).
hs::RunSpec with_overrides(const hs::RunSpec& base, const Overrides& o) {
  hs::RunSpec spec = base;
  hs::apply_run_overrides(spec, {{o.paths, o.seed, o.threads}, o.backend, o.precision, o.out}, "");
  return spec;
}

/// What every job that may write a results file returns to Python: its JSON, the config text and the
/// file (empty: none).
nb::dict job_result(const std::string& json, const hs::RunSpec& spec) {
  nb::dict out;
  out["json"] = json;
  out["config_text"] = spec.config_text;
  out["output_file"] = spec.output.file;
  return out;
}

/// Thrown through a job by the progress callback when Python has an exception to raise.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted from Python"; }
};

/// The Python exception a progress callback fetched, restored once the job has unwound.
struct PendingError {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
};

/// The job's progress function: with the GIL, the user's callback (a borrowed handle: copying the
/// function needs no GIL) and the signal check; an exception from either stops the job.
hs::ProgressFn make_progress(nb::handle callback, PendingError& pending) {
  return [callback, &pending](std::uint64_t done, std::uint64_t total) {
    nb::gil_scoped_acquire acquire;
    if (!callback.is_none()) {
      try {
        callback(done, total);
      } catch (nb::python_error& e) {
        e.restore();
      }
    }
    if (PyErr_Occurred() == nullptr) (void)PyErr_CheckSignals();
    if (PyErr_Occurred() != nullptr) {
      PyErr_Fetch(&pending.type, &pending.value, &pending.traceback);
      throw Interrupted();
    }
  };
}

/// Runs `work` (a job) with the GIL released; a Python exception raised in the progress callback is
/// raised again here, with the GIL held.
template <class Work>
void without_gil(nb::handle callback, Work&& work) {
  PendingError pending;
  bool interrupted = false;
  {
    const hs::ProgressFn progress = make_progress(callback, pending);
    nb::gil_scoped_release release;
    try {
      work(progress);
    } catch (const Interrupted&) {
      interrupted = true;
    }
  }
  if (interrupted) {
    PyErr_Restore(pending.type, pending.value, pending.traceback);
    throw nb::python_error();
  }
}

template <class T>
nb::object to_numpy(std::vector<T> values) {
  auto* heap = new std::vector<T>(std::move(values));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(heap->data(), {heap->size()}, owner));
}

/// `hedgesim run`: JSON text (run_json), histograms and, with per_path, every per-path field.
nb::dict run(const hs::RunSpec& base, const Overrides& o, bool per_path, nb::handle progress,
             const std::string& command_line) {
  hs::RunSpec spec = with_overrides(base, o);
  hs::validate_for_run(spec);
  hs::record_provenance(spec, command_line);
  // Per-path values are kept in memory here; the CLI keeps them only to write them (output.per_path).
  if (per_path) spec.output.per_path = true;
  hs::RunReport report;
  std::string json;
  without_gil(progress, [&](const hs::ProgressFn& fn) {
    if (!spec.output.file.empty()) hs::check_output_writable(spec.output.file);
    hs::SoloCollectives solo;
    const hs::BackendInfo backend = hs::resolve_rank_backend(spec.simulation, o.devices.value_or(""), solo);
    report = hs::run_hedging_job(spec, backend, solo, fn);
    if (!spec.output.file.empty()) hs::write_run_hdf5(spec.output.file, spec, report);
    json = hs::run_json(spec, report).dump();
  });
  nb::dict out = job_result(json, spec);
  nb::dict histograms, paths;
  for (hs::PolicyResult& r : report.policies) {
    histograms[r.spec.name.c_str()] =
        nb::make_tuple(to_numpy(std::move(r.pnl_histogram.edges)), to_numpy(std::move(r.pnl_histogram.counts)));
    if (!per_path) continue;
    nb::dict fields;
    for (unsigned f = 0; f < report.path_fields; ++f)
      fields[hs::to_string(static_cast<hs::PathField>(f))] = to_numpy(std::move(r.per_path[f]));
    paths[r.spec.name.c_str()] = fields;
  }
  out["histograms"] = histograms;
  out["per_path"] = paths;
  return out;
}

/// `hedgesim price`: JSON text (price_json).
nb::dict price(const hs::RunSpec& base, const Overrides& o, nb::handle progress) {
  const hs::RunSpec spec = with_overrides(base, o);
  std::string json;
  without_gil(progress, [&](const hs::ProgressFn& fn) {
    hs::SoloCollectives solo;
    const hs::BackendInfo backend = hs::resolve_rank_backend(spec.simulation, o.devices.value_or(""), solo);
    json = hs::price_json(spec, hs::run_price_job(spec, backend, solo, fn)).dump();
  });
  nb::dict out;
  out["json"] = json;
  out["config_text"] = spec.config_text;
  return out;
}

/// `hedgesim optimise`: JSON text (optimise_json); the report's warnings are in it.
nb::dict optimise(const hs::RunSpec& base, const Overrides& o, nb::handle progress, const std::string& command_line) {
  hs::RunSpec spec = with_overrides(base, o);
  hs::validate_for_optimise(spec);
  hs::record_provenance(spec, command_line);
  std::string json;
  without_gil(progress, [&](const hs::ProgressFn& fn) {
    if (!spec.output.file.empty()) hs::check_output_writable(spec.output.file);
    hs::SoloCollectives solo;
    const hs::BackendInfo backend = hs::resolve_rank_backend(spec.simulation, o.devices.value_or(""), solo);
    const hs::OptimiseReport report = hs::run_optimise_job(spec, backend, solo, fn);
    if (!spec.output.file.empty()) hs::write_optimise_hdf5(spec.output.file, spec, report);
    json = hs::optimise_json(spec, report).dump();
  });
  return job_result(json, spec);
}

/// `hedgesim backtest`: JSON text (backtest_json), as cmd_backtest: the flags, validate_for_backtest,
/// the output path checked, run_backtest_job, the results file.
nb::dict backtest(const hs::RunSpec& base, const Overrides& o, const BacktestOverrides& bo, nb::handle progress,
                  const std::string& command_line) {
  hs::RunSpec spec = with_overrides(base, o);
  hs::apply_backtest_overrides(spec.backtest, bo, "on_bad_data");
  hs::validate_for_backtest(spec);
  hs::record_provenance(spec, command_line);
  std::string json;
  without_gil(progress, [&](const hs::ProgressFn& fn) {
    if (!spec.output.file.empty()) hs::check_output_writable(spec.output.file);
    const hs::BacktestReport report = hs::run_backtest_job(
        spec, [&] { return hs::resolve_backend(spec.simulation.backend, spec.simulation.threads, o.devices.value_or("")); },
        fn);
    if (!spec.output.file.empty()) hs::write_backtest_hdf5(spec.output.file, spec, report);
    json = hs::backtest_json(spec, report).dump();
  });
  return job_result(json, spec);
}

/// `hedgesim calibrate`: JSON text (calibration_json) and the table the CLI prints. The fit has no
/// progress steps: Ctrl-C is seen when it returns.
nb::dict calibrate(const hs::CalibrateRequest& request) {
  std::string json, table;
  {
    nb::gil_scoped_release release;
    const hs::CalibrationRun run = hs::run_calibration(request, "");
    json = hs::calibration_json(run);
    table = hs::calibration_table(run);
  }
  nb::dict out;
  out["json"] = json;
  out["table"] = table;
  return out;
}

}  // namespace

NB_MODULE(_hedgesim, m) {
  m.doc() = "hedgesim's extension module; use the hedgesim package (docs/python.md)";
  m.attr("__version__") = HEDGESIM_VERSION;
  m.attr("git_commit") = HEDGESIM_GIT_COMMIT;

  // Bad input (the CLI's exit 2) is a ValueError, a failed run (exit 3) a RuntimeError; the messages
  // are the C++ ones, naming key, value and what is allowed.
  nb::exception<hs::InputError>(m, "ConfigError", PyExc_ValueError);
  nb::exception<hs::RuntimeFailure>(m, "RuntimeFailure", PyExc_RuntimeError);

  nb::class_<Overrides>(m, "Overrides")
      .def(nb::init<>())
      .def_rw("paths", &Overrides::paths)
      .def_rw("seed", &Overrides::seed)
      .def_rw("threads", &Overrides::threads)
      .def_rw("backend", &Overrides::backend)
      .def_rw("precision", &Overrides::precision)
      .def_rw("devices", &Overrides::devices)
      .def_rw("out", &Overrides::out);

  nb::class_<BacktestOverrides>(m, "BacktestOverrides")
      .def(nb::init<>())
      .def_rw("prices", &BacktestOverrides::prices)
      .def_rw("funding", &BacktestOverrides::funding)
      .def_rw("gas", &BacktestOverrides::gas)
      .def_rw("on_bad_data", &BacktestOverrides::on_bad_data)
      .def_rw("no_model_check", &BacktestOverrides::no_model_check);

  // The calibrate command's settings, with the C++ defaults (the CLI's).
  nb::class_<hs::CalibrateRequest>(m, "CalibrateRequest")
      .def(nb::init<>())
      .def_rw("chain", &hs::CalibrateRequest::chain)
      .def_rw("model", &hs::CalibrateRequest::model)
      .def_rw("currency", &hs::CalibrateRequest::currency)
      .def_rw("min_days", &hs::CalibrateRequest::min_days)
      .def_rw("max_days", &hs::CalibrateRequest::max_days)
      .def_rw("min_moneyness", &hs::CalibrateRequest::min_moneyness)
      .def_rw("max_moneyness", &hs::CalibrateRequest::max_moneyness)
      .def_rw("weights", &hs::CalibrateRequest::weights)
      .def_rw("space", &hs::CalibrateRequest::space)
      .def_rw("starts", &hs::CalibrateRequest::starts)
      .def_rw("out", &hs::CalibrateRequest::out)
      .def_rw("command_line", &hs::CalibrateRequest::command_line);

  nb::class_<hs::RunSpec>(m, "Spec")
      .def_static("load", &hs::load_config, nb::arg("path"), "load_config: read, parse and validate a YAML file")
      .def_static("parse", &hs::parse_config, nb::arg("text"), nb::arg("source_name"),
                  "parse_config: parse and validate YAML text; messages start with source_name")
      .def_ro("text", &hs::RunSpec::config_text)
      .def_ro("source", &hs::RunSpec::config_path)
      .def("validate", [](const hs::RunSpec& s, const Overrides& o) { (void)with_overrides(s, o); });

  m.def("run", &run, nb::arg("spec"), nb::arg("overrides"), nb::arg("per_path"), nb::arg("progress").none(),
        nb::arg("command_line"));
  m.def("price", &price, nb::arg("spec"), nb::arg("overrides"), nb::arg("progress").none());
  m.def("optimise", &optimise, nb::arg("spec"), nb::arg("overrides"), nb::arg("progress").none(), nb::arg("command_line"));
  m.def("backtest", &backtest, nb::arg("spec"), nb::arg("overrides"), nb::arg("backtest"), nb::arg("progress").none(),
        nb::arg("command_line"));
  m.def("calibrate", &calibrate, nb::arg("request"));
  m.def("config_reference", [](const std::string& section) { return hs::config_reference(section); }, nb::arg("section") = "keys",
        "The key reference as Markdown (`hedgesim list`): keys, models, policies or costs");
  m.def("cuda_compiled", [] {
    try {
      (void)hs::resolve_backend(hs::BackendKind::cuda, 0);
      return true;
    } catch (const hs::NotCompiled&) {
      return false;
    } catch (const std::exception&) {
      return true;  // compiled, but no usable device here
    }
  });
}
