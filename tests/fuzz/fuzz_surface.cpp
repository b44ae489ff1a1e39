// Fuzz target: an SVI surface file (hedge.surface.file, io/surface_file.hpp), parsed, checked for
// arbitrage and written back; what was read must read again as the same surface.
// Seed corpus: tests/fuzz/corpus/surface/.
#include <cstring>

#include "fuzz_target.hpp"
#include "hedgesim/io/surface_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace hs = hedgesim;
  const std::string text = hs::fuzz::text_of(data, size);
  hs::fuzz::check([&] {
    const hs::SurfaceFile f = hs::parse_surface_file(text, "fuzz.yaml");
    const hs::SviSurface a = hs::to_surface(f), b = hs::to_surface(hs::parse_surface_file(hs::surface_file_yaml(f), "again"));
    if (a.n != b.n || std::memcmp(a.slice, b.slice, sizeof(hs::SviSlice) * a.n) != 0) __builtin_trap();
  });
  return 0;
}
