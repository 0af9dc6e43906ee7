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

}  // namespace latentlab
