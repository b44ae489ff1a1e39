// Files in and out (issue 11, defects 1, 8 and 9): only a regular file or a new name may be replaced
// by an output file; a signal during a write leaves no temporary file, and a dead writer's is removed
// on the next write; an input file that is a device or over its cap is refused before it is read.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cli_run.hpp"
#include "hedgesim/errors.hpp"
#include "hedgesim/io/atomic_file.hpp"
#include "hedgesim/io/input_file.hpp"

namespace hs = hedgesim;
namespace fs = std::filesystem;

namespace {

/// A fresh folder per test, so no test sees another's files.
fs::path test_dir() {
  static const fs::path root = hs::test::make_temp_dir("hedgesim_file_io_");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = root / (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// The message of the InputError `f` throws ("" and a test failure if it throws none).
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const hs::InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The pid of a process that has exited and been reaped, so no process has it (until it is reused).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

/// Saves a signal's disposition and puts it back at scope exit.
class SavedSignal {
 public:
  explicit SavedSignal(int sig) : sig_(sig) { ::sigaction(sig, nullptr, &saved_); }
  ~SavedSignal() { ::sigaction(sig_, &saved_, nullptr); }

 private:
  int sig_;
  struct sigaction saved_ {};
};

void (*handler_of(int sig))(int) {
  struct sigaction current {};
  ::sigaction(sig, nullptr, &current);
  return current.sa_handler;
}

// ---- check_output_writable (defect 1)

TEST(OutputPath, RegularFileAndNewNameAreAccepted) {
  const fs::path dir = test_dir();
  put(dir / "old.h5", "old");
  EXPECT_NO_THROW(hs::check_output_writable((dir / "old.h5").string()));
  EXPECT_NO_THROW(hs::check_output_writable((dir / "new.h5").string()));
  EXPECT_EQ(slurp(dir / "old.h5"), "old");
  EXPECT_FALSE(fs::exists(dir / "new.h5"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1) << "the probe file stayed";
}

TEST(OutputPath, DeviceIsRefusedAndLeftAlone) {
  const std::string msg = input_error([] { hs::check_output_writable("/dev/null"); });
  EXPECT_TRUE(contains(msg, "'/dev/null'")) << msg;
  EXPECT_TRUE(contains(msg, "is a character device")) << msg;
  EXPECT_TRUE(contains(msg, "only a regular file")) << msg;
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(OutputPath, FifoSymlinkAndDirectoryAreRefused) {
  const fs::path dir = test_dir();
  const fs::path fifo = dir / "fifo.h5";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string msg = input_error([&] { hs::check_output_writable(fifo.string()); });
  EXPECT_TRUE(contains(msg, fifo.string()) && contains(msg, "FIFO")) << msg;
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));

  put(dir / "target.h5", "target");
  fs::create_symlink(dir / "target.h5", dir / "link.h5");
  msg = input_error([&] { hs::check_output_writable((dir / "link.h5").string()); });
  EXPECT_TRUE(contains(msg, "is a symbolic link to '" + (dir / "target.h5").string() + "'")) << msg;
  EXPECT_TRUE(contains(msg, "neither the link nor its target is changed")) << msg;
  EXPECT_TRUE(fs::is_symlink(dir / "link.h5"));
  EXPECT_EQ(slurp(dir / "target.h5"), "target");

  fs::create_directory(dir / "d.h5");
  msg = input_error([&] { hs::check_output_writable((dir / "d.h5").string()); });
  EXPECT_TRUE(contains(msg, "is a directory")) << msg;
}

TEST(OutputPath, MissingDirectoryIsNamed) {
  const fs::path out = test_dir() / "no_such_dir" / "x.h5";
  const std::string msg = input_error([&] { hs::check_output_writable(out.string()); });
  EXPECT_TRUE(contains(msg, "cannot be written")) << msg;
  EXPECT_TRUE(contains(msg, "directory '" + out.parent_path().string() + "'")) << msg;
  EXPECT_TRUE(contains(msg, "No such file or directory")) << msg;
}

// The job may run for hours after the check: a symlink put at the path meanwhile is not replaced.
TEST(OutputPath, WriteLooksAgainBeforeTheRename) {
  const fs::path dir = test_dir();
  const fs::path out = dir / "out.h5";
  put(dir / "target", "target");
  const std::string msg = input_error([&] {
    hs::write_atomically(out.string(), "test file", [&](const std::string& tmp) {
      fs::create_symlink(dir / "target", out);
      put(tmp, "new");
    });
  });
  EXPECT_TRUE(contains(msg, "symbolic link")) << msg;
  EXPECT_TRUE(fs::is_symlink(out));
  EXPECT_EQ(slurp(dir / "target"), "target");
  EXPECT_FALSE(fs::exists(hs::atomic_temp_name(out.string())));
}

// ---- temporary files: stale ones and signals (defect 8)

TEST(TempFiles, StaleOnesOfDeadProcessesGoOnTheNextWrite) {
  const fs::path dir = test_dir();
  const fs::path out = dir / "out.h5";
  const std::string dead = out.string() + ".tmp-" + std::to_string(dead_pid());
  const std::string live = out.string() + ".tmp-" + std::to_string(::getppid());
  const std::string other = (dir / "other.h5").string() + ".tmp-" + std::to_string(dead_pid());
  const std::string not_pid = out.string() + ".tmp-12ab";
  for (const std::string& p : {dead, live, other, not_pid}) put(p, "partial");
  hs::write_atomically(out.string(), "test file", [](const std::string& tmp) { put(tmp, "complete"); });
  EXPECT_EQ(slurp(out), "complete");
  EXPECT_FALSE(fs::exists(dead)) << "a dead writer's temporary file stayed";
  EXPECT_TRUE(fs::exists(live)) << "a live writer's temporary file was removed";
  EXPECT_TRUE(fs::exists(other)) << "another output's temporary file was removed";
  EXPECT_TRUE(fs::exists(not_pid));
}

TEST(TempFiles, StaleSweepLeavesNonRegularFiles) {
  const fs::path dir = test_dir();
  const fs::path out = dir / "out.h5";
  const fs::path dead_dir = out.string() + ".tmp-" + std::to_string(dead_pid());
  fs::create_directory(dead_dir);
  const fs::path dead_link = out.string() + ".tmp-" + std::to_string(dead_pid());
  fs::create_symlink(dir / "elsewhere", dead_link);
  EXPECT_TRUE(hs::remove_stale_temp_files(out.string()).empty());
  EXPECT_TRUE(fs::is_directory(dead_dir));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dead_link)));
}

// Only while the temporary file exists are the signals ours, and an ignored one stays ignored.
TEST(TempFiles, SignalHandlersOnlyDuringTheWrite) {
  const SavedSignal term(SIGTERM), hup(SIGHUP);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGHUP, SIG_IGN);
  void (*term_during)(int) = SIG_DFL;
  void (*hup_during)(int) = SIG_DFL;
  hs::write_atomically((test_dir() / "out.h5").string(), "test file", [&](const std::string& tmp) {
    put(tmp, "x");
    term_during = handler_of(SIGTERM);
    hup_during = handler_of(SIGHUP);
  });
  EXPECT_NE(term_during, SIG_DFL);
  EXPECT_EQ(hup_during, SIG_IGN);
  EXPECT_EQ(handler_of(SIGTERM), SIG_DFL);
  EXPECT_EQ(handler_of(SIGHUP), SIG_IGN);
}

class SignalDuringWrite : public ::testing::TestWithParam<int> {};

// A child process writes, stops mid-write with its temporary file on disk, and gets the signal: it
// must die of that signal (a shell reports 128 + it) and leave neither the temporary nor the output.
TEST_P(SignalDuringWrite, RemovesTheTemporaryFileAndDiesOfTheSignal) {
  const int sig = GetParam();
  const fs::path out = test_dir() / "out.h5";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    for (const int s : {SIGINT, SIGTERM, SIGHUP}) ::signal(s, SIG_DFL);  // as from a terminal
    try {
      hs::write_atomically(out.string(), "test file", [&](const std::string& tmp) {
        put(tmp, "partial");
        const char c = 1;
        if (::write(ready[1], &c, 1) != 1) ::_exit(10);
        for (;;) ::pause();
      });
    } catch (...) {
      ::_exit(11);
    }
    ::_exit(12);
  }
  ::close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  char c = 0;
  const bool started = ::poll(&p, 1, 20000) == 1 && ::read(ready[0], &c, 1) == 1;
  ::close(ready[0]);
  const std::string tmp = out.string() + ".tmp-" + std::to_string(child);
  if (started) EXPECT_TRUE(fs::exists(tmp)) << "the child's temporary file is not on disk";
  ::kill(child, started ? sig : SIGKILL);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      ADD_FAILURE() << "the child did not end on signal " << sig;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(started) << "the child did not reach the write";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
      << "status " << status << ": expected death by signal " << sig;
  EXPECT_FALSE(fs::exists(tmp)) << "signal " << sig << " left " << tmp;
  EXPECT_FALSE(fs::exists(out));
}

INSTANTIATE_TEST_SUITE_P(IntTermHup, SignalDuringWrite, ::testing::Values(SIGINT, SIGTERM, SIGHUP),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return i.param == SIGINT ? "SIGINT" : i.param == SIGTERM ? "SIGTERM" : "SIGHUP";
                         });

// ---- read_input_file (defect 9)

TEST(InputFile, DeviceIsRefusedWithoutReading) {
  const std::string msg = input_error([] { hs::read_input_file("/dev/zero", "config file", hs::kConfigFileCap); });
  EXPECT_TRUE(contains(msg, "the config file '/dev/zero' is a character device, not a regular file")) << msg;
  EXPECT_TRUE(contains(msg, "at most 1 MiB")) << msg;
}

TEST(InputFile, DirectoryAndMissingFileAreNamed) {
  const fs::path dir = test_dir();
  std::string msg = input_error([&] { hs::read_input_file(dir.string(), "chain file", hs::kDataFileCap); });
  EXPECT_TRUE(contains(msg, "the chain file '" + dir.string() + "' is a directory")) << msg;
  msg = input_error([&] { hs::read_input_file((dir / "none.csv").string(), "gas file", hs::kDataFileCap); });
  EXPECT_TRUE(contains(msg, "cannot open the gas file '" + (dir / "none.csv").string() + "': No such file")) << msg;
}

TEST(InputFile, RegularFileUpToTheCapIsReadAndOneByteMoreIsNot) {
  const fs::path f = test_dir() / "big.yaml";
  put(f, "");
  fs::resize_file(f, hs::kConfigFileCap);  // sparse: no disk needed
  EXPECT_EQ(hs::read_input_file(f.string(), "config file", hs::kConfigFileCap).size(), hs::kConfigFileCap);
  fs::resize_file(f, hs::kConfigFileCap + 1);
  const std::string msg = input_error([&] { hs::read_input_file(f.string(), "config file", hs::kConfigFileCap); });
  EXPECT_TRUE(contains(msg, "is 1048577 bytes, over the 1 MiB cap for a config file")) << msg;
}

TEST(InputFile, PipeIsReadUpToTheCap) {
  const fs::path fifo = test_dir() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto feed = [&](std::size_t bytes) {
    return std::thread([&fifo, bytes] {
      const int fd = ::open(fifo.c_str(), O_WRONLY);
      const std::string text(bytes, 'x');
      if (fd >= 0 && ::write(fd, text.data(), text.size()) < 0) ADD_FAILURE() << "write to the FIFO failed";
      if (fd >= 0) ::close(fd);
    });
  };
  std::thread writer = feed(50);
  EXPECT_EQ(hs::read_input_file(fifo.string(), "config file", 100), std::string(50, 'x'));
  writer.join();
  writer = feed(200);  // one write under PIPE_BUF: it is in the pipe before the reader stops
  const std::string msg = input_error([&] { hs::read_input_file(fifo.string(), "config file", 100); });
  writer.join();
  EXPECT_TRUE(contains(msg, "(a pipe) gave more than the 100 bytes cap for a config file")) << msg;
}

TEST(InputFile, CapsAreDocumentedSizes) {
  EXPECT_EQ(hs::format_bytes(hs::kConfigFileCap), "1 MiB");
  EXPECT_EQ(hs::format_bytes(hs::kDataFileCap), "256 MiB");
  EXPECT_EQ(hs::format_bytes(1234), "1234 bytes");
}

}  // namespace
