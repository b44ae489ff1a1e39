#pragma once
// Reading a user's input file (config YAML, Deribit chain CSV, backtest price/funding/gas CSVs): every
// reader goes through read_input_file, so a device, a directory or a file too large to be meant is
// refused the same way everywhere, before it is read (`hedgesim run /dev/zero` used to read forever).
#include <cstddef>
#include <string>
#include <string_view>

namespace hedgesim {

/// Largest config file: the shipped configs are 1.4 to 4 KB, so 1 MiB is far beyond any real one and
/// still small enough that YAML parsing of it stays quick.
inline constexpr std::size_t kConfigFileCap = std::size_t{1} << 20;

/// Largest CSV (chain snapshot, prices, funding, gas): the largest real file, five years of hourly
/// perpetual prices, is 3.9 MB, and a century of hourly rows is under 100 MB; 256 MiB is read into
/// memory in well under a second.
inline constexpr std::size_t kDataFileCap = std::size_t{256} << 20;

/// The whole text of the file at `path`. A regular file of at most `cap` bytes or a pipe (e.g. a
/// shell's `<(…)`) that ends within `cap` bytes is read; anything else throws InputError naming the
/// path, `what` it is for (e.g. "config file") and why: missing or unreadable (the OS reason), a
/// directory, device or socket (not a regular file), or its size (or, for a pipe, that it went on)
/// beyond the cap.
std::string read_input_file(const std::string& path, std::string_view what, std::size_t cap);

/// "1 MiB", "256 MiB" or "1234 bytes": how a cap or size is written in messages and docs.
std::string format_bytes(std::size_t bytes);

/// What a file of this st_mode is, for messages: "a directory", "a character device", "a symbolic
/// link", "a FIFO (named pipe)", … ("a regular file" for S_IFREG).
std::string_view file_type_name(unsigned mode);

}  // namespace hedgesim
