#pragma once
// Publishing an output file whole or not at all (docs/hdf5.md: never a partial output file): every
// writer of a results file goes through write_atomically, so the check of the output path, the
// temporary name, the fsync before the rename and the clean-up on failure or on a signal are the same
// for all of them.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hedgesim {

/// Checks, before a long job, that `path` may receive an output file: a new name in an existing
/// directory where a file can be created (a file is created there and removed), or an existing
/// regular file, which will be replaced. Anything else at `path` (a directory, a device such as
/// /dev/null, a FIFO, a socket, or a symbolic link: neither the link nor its target is touched)
/// throws InputError naming the path, what it is and what is allowed (exit code 2).
void check_output_writable(const std::string& path);

/// The temporary name `path` is written under before the rename: `path.tmp-<pid>` beside it, so the
/// rename stays within one file system and concurrent processes do not collide.
std::string atomic_temp_name(const std::string& path);

/// Removes the temporary files `path.tmp-<pid>` (regular files only) whose process no longer exists
/// (a writer killed by SIGKILL or a power cut leaves one); those of live processes, e.g. another
/// hedgesim writing the same path now, are left alone. The pids are this host's: on a directory
/// shared by several hosts, a file of another host's process would be taken for stale. Best effort:
/// a file that cannot be removed stays. Returns the paths removed.
std::vector<std::string> remove_stale_temp_files(const std::string& path);

/// Calls `write(tmp)` to write the whole file at tmp = atomic_temp_name(path), fsyncs it and renames
/// it onto `path`, so a reader sees the old file or the complete new one. Before writing, stale
/// temporary files of `path` are removed (remove_stale_temp_files). On any failure the temporary file
/// is removed: a RuntimeFailure (from `write`, the fsync or the rename) is rethrown as RuntimeFailure
/// "cannot write <what> '<path>': <reason>"; `path` having become something other than a regular file
/// meanwhile is the InputError of check_output_writable; any other exception passes unchanged.
///
/// While the temporary file exists, SIGINT, SIGTERM and SIGHUP (those whose action is the default;
/// an ignored or caught one is left as it is) remove it and then end the process by the same signal,
/// so a shell reports 128 + the signal number (130, 143, 129). One write at a time per process:
/// concurrent calls wait for each other.
void write_atomically(const std::string& path, std::string_view what,
                      const std::function<void(const std::string& tmp)>& write);

}  // namespace hedgesim
