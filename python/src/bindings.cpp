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
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <exception>
#include <memory>
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

namespace py = pybind11;
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
py::dict job_result(const std::string& json, const hs::RunSpec& spec) {
  py::dict out;
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
hs::ProgressFn make_progress(py::handle callback, PendingError& pending) {
  return [callback, &pending](std::uint64_t done, std::uint64_t total) {
    py::gil_scoped_acquire acquire;
    if (!callback.is_none()) {
      try {
        callback(done, total);
      } catch (py::error_already_set& e) {
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
void without_gil(py::handle callback, Work&& work) {
  PendingError pending;
  bool interrupted = false;
  {
    const hs::ProgressFn progress = make_progress(callback, pending);
    py::gil_scoped_release release;
    try {
      work(progress);
    } catch (const Interrupted&) {
      interrupted = true;
    }
  }
  if (interrupted) {
    PyErr_Restore(pending.type, pending.value, pending.traceback);
    throw py::error_already_set();
  }
}

/// A 1-d numpy array over `values` without a copy: the array owns the vector through a capsule.
template <class T>
py::array_t<T> to_numpy(std::vector<T> values) {
  auto heap = std::make_unique<std::vector<T>>(std::move(values));
  py::capsule owner(heap.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  const std::vector<T>& v = *heap.release();
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data(), owner);
}

/// `hedgesim run`: JSON text (run_json), histograms and, with per_path, every per-path field.
py::dict run(const hs::RunSpec& base, const Overrides& o, bool per_path, py::handle progress,
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
  py::dict out = job_result(json, spec);
  py::dict histograms, paths;
  for (hs::PolicyResult& r : report.policies) {
    histograms[r.spec.name.c_str()] =
        py::make_tuple(to_numpy(std::move(r.pnl_histogram.edges)), to_numpy(std::move(r.pnl_histogram.counts)));
    if (!per_path) continue;
    py::dict fields;
    for (unsigned f = 0; f < report.path_fields; ++f)
      fields[hs::to_string(static_cast<hs::PathField>(f))] = to_numpy(std::move(r.per_path[f]));
    paths[r.spec.name.c_str()] = fields;
  }
  out["histograms"] = histograms;
  out["per_path"] = paths;
  return out;
}

/// `hedgesim price`: JSON text (price_json).
py::dict price(const hs::RunSpec& base, const Overrides& o, py::handle progress) {
  const hs::RunSpec spec = with_overrides(base, o);
  hs::validate_for_price(spec);
  std::string json;
  without_gil(progress, [&](const hs::ProgressFn& fn) {
    hs::SoloCollectives solo;
    const hs::BackendInfo backend = hs::resolve_rank_backend(spec.simulation, o.devices.value_or(""), solo);
    json = hs::price_json(spec, hs::run_price_job(spec, backend, solo, fn)).dump();
  });
  py::dict out;
  out["json"] = json;
  out["config_text"] = spec.config_text;
  return out;
}

/// `hedgesim optimise`: JSON text (optimise_json); the report's warnings are in it.
py::dict optimise(const hs::RunSpec& base, const Overrides& o, py::handle progress, const std::string& command_line) {
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
py::dict backtest(const hs::RunSpec& base, const Overrides& o, const BacktestOverrides& bo, py::handle progress,
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
py::dict calibrate(const hs::CalibrateRequest& request) {
  std::string json, table;
  {
    py::gil_scoped_release release;
    const hs::CalibrationRun run = hs::run_calibration(request, "");
    json = hs::calibration_json(run);
    table = hs::calibration_table(run);
  }
  py::dict out;
  out["json"] = json;
  out["table"] = table;
  return out;
}

}  // namespace

PYBIND11_MODULE(_hedgesim, m) {
  m.doc() = "hedgesim's extension module; use the hedgesim package (docs/python.md)";
  m.attr("__version__") = HEDGESIM_VERSION;
  m.attr("git_commit") = HEDGESIM_GIT_COMMIT;

  // Bad input (the CLI's exit 2) is a ValueError, a failed run (exit 3) a RuntimeError; the messages
  // are the C++ ones, naming key, value and what is allowed.
  py::register_exception<hs::InputError>(m, "ConfigError", PyExc_ValueError);
  py::register_exception<hs::RuntimeFailure>(m, "RuntimeFailure", PyExc_RuntimeError);

  py::class_<Overrides>(m, "Overrides")
      .def(py::init<>())
      .def_readwrite("paths", &Overrides::paths)
      .def_readwrite("seed", &Overrides::seed)
      .def_readwrite("threads", &Overrides::threads)
      .def_readwrite("backend", &Overrides::backend)
      .def_readwrite("precision", &Overrides::precision)
      .def_readwrite("devices", &Overrides::devices)
      .def_readwrite("out", &Overrides::out);

  py::class_<BacktestOverrides>(m, "BacktestOverrides")
      .def(py::init<>())
      .def_readwrite("prices", &BacktestOverrides::prices)
      .def_readwrite("funding", &BacktestOverrides::funding)
      .def_readwrite("gas", &BacktestOverrides::gas)
      .def_readwrite("on_bad_data", &BacktestOverrides::on_bad_data)
      .def_readwrite("no_model_check", &BacktestOverrides::no_model_check);

  // The calibrate command's settings, with the C++ defaults (the CLI's).
  py::class_<hs::CalibrateRequest>(m, "CalibrateRequest")
      .def(py::init<>())
      .def_readwrite("chain", &hs::CalibrateRequest::chain)
      .def_readwrite("model", &hs::CalibrateRequest::model)
      .def_readwrite("currency", &hs::CalibrateRequest::currency)
      .def_readwrite("min_days", &hs::CalibrateRequest::min_days)
      .def_readwrite("max_days", &hs::CalibrateRequest::max_days)
      .def_readwrite("min_moneyness", &hs::CalibrateRequest::min_moneyness)
      .def_readwrite("max_moneyness", &hs::CalibrateRequest::max_moneyness)
      .def_readwrite("weights", &hs::CalibrateRequest::weights)
      .def_readwrite("space", &hs::CalibrateRequest::space)
      .def_readwrite("starts", &hs::CalibrateRequest::starts)
      .def_readwrite("out", &hs::CalibrateRequest::out)
      .def_readwrite("command_line", &hs::CalibrateRequest::command_line);

  py::class_<hs::RunSpec>(m, "Spec")
      .def_static("load", &hs::load_config, py::arg("path"), "load_config: read, parse and validate a YAML file")
      .def_static("parse", &hs::parse_config, py::arg("text"), py::arg("source_name"),
                  "parse_config: parse and validate YAML text; messages start with source_name")
      .def_readonly("text", &hs::RunSpec::config_text)
      .def_readonly("source", &hs::RunSpec::config_path)
      .def("validate", [](const hs::RunSpec& s, const Overrides& o) { (void)with_overrides(s, o); });

  m.def("run", &run, py::arg("spec"), py::arg("overrides"), py::arg("per_path"), py::arg("progress").none(true),
        py::arg("command_line"));
  m.def("price", &price, py::arg("spec"), py::arg("overrides"), py::arg("progress").none(true));
  m.def("optimise", &optimise, py::arg("spec"), py::arg("overrides"), py::arg("progress").none(true), py::arg("command_line"));
  m.def("backtest", &backtest, py::arg("spec"), py::arg("overrides"), py::arg("backtest"), py::arg("progress").none(true),
        py::arg("command_line"));
  m.def("calibrate", &calibrate, py::arg("request"));
  m.def("config_reference", [](const std::string& section) { return hs::config_reference(section); }, py::arg("section") = "keys",
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
