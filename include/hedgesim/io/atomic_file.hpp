#pragma once
// Publishing an output file whole or not at all (DESIGN.md: never a partial output file): every
// writer of a results file goes through write_atomically, so the temporary name, the fsync before
// the rename and the clean-up on failure are the same for all of them.
#include <functional>
#include <string>
#include <string_view>

namespace hedgesim {

/// The temporary name `path` is written under before the rename: `path.tmp-<pid>` beside it, so the
/// rename stays within one file system and concurrent processes do not collide.
std::string atomic_temp_name(const std::string& path);

/// Calls `write(tmp)` to write the whole file at tmp = atomic_temp_name(path), fsyncs it and renames
/// it onto `path`, so a reader sees the old file or the complete new one. On any failure the
/// temporary file is removed; a RuntimeFailure (from `write`, the fsync or the rename) is rethrown as
/// RuntimeFailure "cannot write <what> '<path>': <reason>", any other exception unchanged.
void write_atomically(const std::string& path, std::string_view what,
                      const std::function<void(const std::string& tmp)>& write);

}  // namespace hedgesim
