// glibc malloc set up for tensors (see the header).
#include "core/allocator.h"

#include <climits>
#include <cstdlib>
#include <cstring>

#include <unistd.h>  // environ (g++ defines _GNU_SOURCE); declared by hand it clashes in a unity build

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace latentlab {
namespace {

std::string& state() {
  static std::string description = "glibc malloc defaults (tune_allocator() not called)";
  return description;
}

bool user_tunes_malloc() {
  for (char** variable = environ; variable && *variable; ++variable)
    if (std::strncmp(*variable, "GLIBC_TUNABLES=", 15) == 0 || std::strncmp(*variable, "MALLOC_", 7) == 0) return true;
  return false;
}

}  // namespace

void tune_allocator() {
#if defined(__GLIBC__)
  const char* choice = std::getenv("LATENTLAB_MALLOC");
  if (choice && std::strcmp(choice, "default") == 0) {
    state() = "glibc malloc defaults (LATENTLAB_MALLOC=default)";
    return;
  }
  if (user_tunes_malloc()) {
    state() = "glibc malloc as set by the environment (GLIBC_TUNABLES / MALLOC_*)";
    return;
  }
  // Large blocks from the heap instead of mmap: reused after free without new page faults. Other threads
  // allocate from their own arenas (64 MiB heaps): a block that fits one is reused the same way; a larger
  // one is mapped whatever M_MMAP_MAX says (glibc's sysmalloc) and unmapped on free, as with the defaults.
  // Long runs stay bounded: the resident set levels off (docs/benchmarks.md, "Allocator").
  const bool ok =
      mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1 && mallopt(M_TOP_PAD, 512 << 20) == 1;
  state() = ok ? "glibc malloc, freed memory kept (no mmap, trim above 2 GiB); LATENTLAB_MALLOC=default restores "
                 "glibc's defaults"
               : "glibc malloc defaults (mallopt refused the settings)";
#else
  state() = "the C library's malloc (not glibc: left as it is)";
#endif
}

std::string allocator_description() {
  return state();
}

bool release_free_memory() {
#if defined(__GLIBC__)
  return malloc_trim(0) == 1;
#else
  return false;
#endif
}

}  // namespace latentlab
