// glibc malloc set up for tensors. By default glibc serves every block above 128 KiB–32 MiB with a fresh mmap
// and unmaps it on free, so a CPU forward pass that allocates the same large activations batch after batch
// pays a page fault per 4 KiB page every time: the FID Inception at batch 50 spent a third of its CPU time in
// the kernel (12.4 M minor faults for 150 images) and ran 4× slower than with the memory kept (docs/benchmarks.md,
// "Allocator"). tune_allocator() keeps freed memory in the process (no mmap, no trimming below 2 GiB of free top).
#pragma once

#include <string>

namespace latentlab {

// Call first thing in main(). Does nothing when LATENTLAB_MALLOC=default, when the user already tunes glibc
// malloc (GLIBC_TUNABLES or MALLOC_*_ variables in the environment), or with another C library.
void tune_allocator();

// What tune_allocator() did, for `latentlab version`: e.g. "glibc malloc, freed memory kept (no mmap, trim
// above 2 GiB); LATENTLAB_MALLOC=default restores glibc's defaults".
std::string allocator_description();

// Hands the free memory that the tuned allocator keeps back to the system: glibc's malloc_trim(0) shrinks the
// top of the main heap and releases the pages of the free chunks in every arena (not the free top of a worker
// thread's heap), so the resident set drops towards what is live; each page reused afterwards faults once
// more. Call it between phases, e.g. after one image set's features are extracted, so that the next set
// starts from its live memory instead of adding its free holes to the previous set's (docs/benchmarks.md,
// "Allocator"). Returns whether any memory was released; false with another C library.
bool release_free_memory();

}  // namespace latentlab
