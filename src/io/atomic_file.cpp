// Temporary name, fsync, rename: the one way hedgesim publishes an output file (atomic_file.hpp).
#include "hedgesim/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include <fmt/format.h>

#include "hedgesim/errors.hpp"

namespace hedgesim {
namespace {

std::string os_reason(int err) { return std::error_code(err, std::generic_category()).message(); }

/// Makes the written bytes durable before the rename publishes them.
void sync_file(const std::string& file_path) {
  const int fd = ::open(file_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeFailure(fmt::format("reopening '{}' to sync it: {}", file_path, os_reason(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw RuntimeFailure(fmt::format("fsync('{}'): {}", file_path, os_reason(err)));
}

}  // namespace

std::string atomic_temp_name(const std::string& path) {
  return fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
}

void write_atomically(const std::string& path, std::string_view what,
                      const std::function<void(const std::string& tmp)>& write) {
  const std::string tmp = atomic_temp_name(path);
  try {
    write(tmp);
    sync_file(tmp);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw RuntimeFailure(fmt::format("renaming '{}' to '{}': {}", tmp, path, os_reason(errno)));
  } catch (const RuntimeFailure& e) {
    ::unlink(tmp.c_str());
    throw RuntimeFailure(fmt::format("cannot write {} '{}': {}", what, path, e.what()));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace hedgesim
