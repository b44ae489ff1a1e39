// The one reader of user input files (input_file.hpp): open once, decide by fstat of that same
// descriptor (no window for the path to change), then read at most cap + 1 bytes.
#include "hedgesim/io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {
namespace {

std::string os_reason(int err) { return std::error_code(err, std::generic_category()).message(); }

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string format_bytes(std::size_t bytes) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return fmt::format("{} MiB", bytes / kMiB);
  return fmt::format("{} bytes", bytes);
}

std::string_view file_type_name(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFLNK: return "a symbolic link";
    case S_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

std::string read_input_file(const std::string& path, std::string_view what, std::size_t cap) {
  const std::string allowed = fmt::format("a regular file (or a pipe) of at most {}", format_bytes(cap));
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw InputError(fmt::format("cannot open the {} '{}': {}", what, path, os_reason(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw InputError(fmt::format("cannot read the {} '{}': {}", what, path, os_reason(errno)));
  const bool regular = S_ISREG(st.st_mode);
  if (!regular && !S_ISFIFO(st.st_mode)) {
    // Devices such as /dev/zero never end, and a directory opens read-only and fails only at read():
    // nothing a user means to give is one, so say what it is instead of reading.
    throw InputError(fmt::format("the {} '{}' is {}, not a regular file: give {}", what, path,
                                 file_type_name(st.st_mode), allowed));
  }
  if (regular && static_cast<std::size_t>(st.st_size) > cap) {
    throw InputError(fmt::format("the {} '{}' is {} bytes, over the {} cap for a {}: give {}", what, path,
                                 static_cast<long long>(st.st_size), format_bytes(cap), what, allowed));
  }
  std::string text;
  if (regular) text.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(fmt::format("cannot read the {} '{}': {}", what, path, os_reason(errno)));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    // A regular file can grow while it is read, and a pipe has no size to check beforehand.
    if (text.size() > cap) {
      throw InputError(fmt::format("the {} '{}' ({}) gave more than the {} cap for a {}: give {}", what, path,
                                   regular ? "a regular file that grew while read" : "a pipe", format_bytes(cap), what,
                                   allowed));
    }
  }
  return text;
}

}  // namespace hedgesim
