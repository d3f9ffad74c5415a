#pragma once
// `strata serve` runs on jemalloc when the system has it: its requests make many short-lived
// allocations on many threads, where glibc's malloc took a quarter of the server's time
// (bench/serving, 1 user + 100 items: peak 1888 -> 2184 req/s). The batch commands stay on
// glibc, where jemalloc measured 12% slower for ingest. STRATA_ALLOCATOR=system opts out.

namespace strata::cli {

// For `serve`: re-executes this binary with jemalloc preloaded, if found and not yet loaded.
// Returns only when it does not (then the process goes on as it is).
void MaybeReexecWithJemalloc(int argc, char** argv);

}  // namespace strata::cli
