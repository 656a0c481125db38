#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

#include <stdint.h>

/// The heap operations one thread has made since it started.
typedef struct {
    /// malloc, calloc, memalign, posix_memalign, aligned_alloc, valloc, pvalloc, and realloc of a null
    /// pointer or to a new size (a realloc may move the block: it counts as one allocation and one free).
    uint64_t allocations;
    /// free of a non-null pointer, realloc to size 0, and the old block of a moving realloc.
    uint64_t frees;
    /// Bytes requested by the allocations.
    uint64_t bytes;
} tapster_allocation_counts;

/// The calling thread's counts. Counted per thread, not per process: swift-testing runs tests on several
/// threads of one process at once, and a hot path runs on one thread (a capture thread, a merge), so a
/// thread's own counts are what says whether that path allocates.
tapster_allocation_counts tapster_thread_allocation_counts(void);

#endif
