#pragma once
// Runs the built hedgesim binary as a user would and captures what a user sees: exit code, stdout and
// stderr. The binary is found via HEDGESIM_BIN, which CTest sets for the command-line tests.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace hedgesim::test {

struct CliResult {
  int code;  ///< exit status, −1 when the process did not exit normally
  std::string out;
  std::string err;
};

/// A fresh folder `<temp>/<prefix><pid>` for one test program's files.
inline std::filesystem::path make_temp_dir(const std::string& prefix) {
  auto d = std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

/// `$HEDGESIM_BIN args` through the shell; stderr goes through `err_file`, which is overwritten. With
/// `kill_after_s` > 0 the process is killed after that many seconds (exit code 137), for tests of
/// inputs that once made it read forever: keep it a few seconds, so that a regression fails the test
/// before the reading has taken gigabytes of memory.
inline CliResult run_hedgesim(const std::string& args, const std::filesystem::path& err_file, int kill_after_s = 0) {
  const char* bin = std::getenv("HEDGESIM_BIN");
  if (!bin) throw std::runtime_error("HEDGESIM_BIN is not set (CTest sets it to the built hedgesim)");
  const std::string limit = kill_after_s > 0 ? "timeout -s KILL " + std::to_string(kill_after_s) + " " : "";
  const std::string cmd = limit + std::string(bin) + " " + args + " 2>" + err_file.string();
  CliResult r{};
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) r.out += buf.data();
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

}  // namespace hedgesim::test
