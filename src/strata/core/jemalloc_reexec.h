#pragma once
// `strata serve` runs on jemalloc when the system has it: its requests make many short-lived
// allocations on many threads, where glibc's malloc took a quarter of the server's time
// (bench/serving, 1 user + 100 items: peak 1888 -> 2184 req/s). `strata ingest` too since its
// bulk online writes (a million rows per commit, encoded, sorted and written from one thread
// while the next commit's are built on another): 20M rows ~40 s -> ~32 s (an earlier ingest,
// row by row, measured 12% slower on it). The other batch commands stay on glibc. The online
// lookup benchmark runs on jemalloc too, as the server does. STRATA_ALLOCATOR=system opts out.

namespace strata {

// How jemalloc hands memory back to the kernel.
enum class JemallocPurging {
  kDefault,  // jemalloc's decay: dirty pages back after ~10 s, blocks of 8 MiB or more at once
  kNever,    // a batch process: its heap grows to its peak and is reused, never returned
};

// Re-executes this binary with jemalloc preloaded, if found and not yet loaded. Returns only
// when it does not (then the process goes on as it is).
void MaybeReexecWithJemalloc(int argc, char** argv, JemallocPurging purging = JemallocPurging::kDefault);

// "jemalloc" when this process runs on it (preloaded), else "glibc".
const char* CurrentAllocatorName();

}  // namespace strata
