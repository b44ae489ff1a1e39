#pragma once
// Typed host errors. The CLI maps InputError to exit code 2, RuntimeFailure to exit code 3 and
// Interrupted to exit code 4.
#include <stdexcept>
#include <string>

namespace hedgesim {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bad configuration, flag or data file: the message names the key, the value and what is allowed.
struct InputError : Error {
  using Error::Error;
};

/// The run could not be carried out (device error, out of memory, I/O, backend not built).
struct RuntimeFailure : Error {
  using Error::Error;
};

/// A backend that was not compiled into this build was asked for.
struct NotCompiled : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

/// The run stopped on request (SIGTERM or SIGINT with --checkpoint) after writing its checkpoint; the
/// CLI exits with code 4 and `--resume` continues it (docs/cluster.md, "Checkpoint and resume").
struct Interrupted : Error {
  using Error::Error;
};

struct CudaError : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

}  // namespace hedgesim
