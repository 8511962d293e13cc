#pragma once
// The threads a training run computes on. Every pass of a step, the GEMMs included, is split
// between the members of one team: the calling thread is member 0 and the others are workers that
// wait for the next pass spinning, so that handing one a range costs well under a microsecond.
//
// A member calls OpenBLAS single-threaded on its part of each GEMM: OpenBLAS threads of its own
// would take the same cores from the team (BENCHMARKS.md, "Design decisions").
//
// A function that splits its work takes the team as an argument (`ComputeTeam* team`, null for
// the calling thread alone); code running inside a member's task passes none. A given team size
// always splits a pass the same way, so results are reproducible for a given thread count (not
// across thread counts: a GEMM split in two blocks its sums differently).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

namespace actlab {

// The smallest share of an elementwise pass worth handing to another member: 8k floats (32 KB) take
// a few microseconds, a hand-off to a spinning member well under one.
inline constexpr std::size_t kElementsPerPart = 8192;

class ComputeTeam {
 public:
  // A team of `size` members (at least 1): the caller and size - 1 worker threads.
  explicit ComputeTeam(int size);
  ~ComputeTeam();
  ComputeTeam(const ComputeTeam&) = delete;
  ComputeTeam& operator=(const ComputeTeam&) = delete;

  int size() const { return size_; }

  // Runs task(member) once for every member, member 0 on the calling thread, and returns when all
  // have finished. A task must not throw (it runs under noexcept). Allocates nothing.
  template <typename Task>
  void run(Task& task) {
    dispatch([](void* t, int member) noexcept { (*static_cast<Task*>(t))(member); }, &task);
  }

  // Work for members that would otherwise wait: `units` independent calls body(unit), taken one at
  // a time by whichever member is idle (a worker between passes, member 0 waiting for the workers
  // at a pass's end). Nothing may depend on which member runs a unit: the result must be the same.
  // At most one posting at a time; finish_idle_work() before the next and before anything reads
  // what the units write. Posted by the team's owner (member 0), between passes or inside one. body
  // runs outside the team (its loops on its own thread) and must outlive the posting.
  template <typename Body>
  void post_idle_work(Body& body, std::size_t units) {
    post_idle([](void* b, std::size_t unit) noexcept { (*static_cast<Body*>(b))(unit); }, &body,
              units);
  }
  // Runs the units not yet taken (split among the members) and waits for those that were.
  void finish_idle_work();

 private:
  using TaskFunction = void (*)(void*, int) noexcept;
  using UnitFunction = void (*)(void*, std::size_t) noexcept;
  void dispatch(TaskFunction function, void* task);
  void work(int member);
  void post_idle(UnitFunction function, void* body, std::size_t units);
  // Takes and runs one unit of the idle work; false if none was left.
  bool run_idle_unit();

  int size_;
  TaskFunction function_ = nullptr;
  void* task_ = nullptr;
  // Bumped once per run(); workers wait for it to change, spinning for a while, then asleep.
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<int> finished_{0};  // workers done with the current generation
  std::atomic<bool> stopping_{false};
  std::vector<std::jthread> workers_;
  // The idle work: posting number (high 32 bits) and next unit (low 32 bits) in one word, so that a
  // member holding a stale view of an earlier posting cannot take a unit of the next one
  // (post_idle says how a posting is opened).
  std::atomic<std::uint64_t> idle_next_{0};
  std::atomic<std::uint64_t> idle_done_{0};
  std::atomic<UnitFunction> idle_function_{nullptr};
  std::atomic<void*> idle_body_{nullptr};
  std::atomic<std::size_t> idle_units_{0};
};

// Members of `team`: 1 for none (the calling thread alone).
inline std::size_t team_size(const ComputeTeam* team) {
  return team != nullptr ? static_cast<std::size_t>(team->size()) : 1;
}

// [begin, end) of part `part` when [0, n) is cut into `parts` contiguous ranges whose boundaries
// are multiples of `align` (the last range takes the remainder; trailing ranges may be empty).
std::pair<std::size_t, std::size_t> part_range(std::size_t n, std::size_t parts, std::size_t align,
                                               std::size_t part);

// How many parts n elements are cut into between `members`: one per member, but no more than
// leave each at least `grain` elements.
std::size_t parts_of(std::size_t n, std::size_t grain, std::size_t members);
// parts_of for `team`'s members: how many parts parallel_for cuts n elements into.
inline std::size_t parallel_parts(const ComputeTeam* team, std::size_t n, std::size_t grain) {
  return parts_of(n, grain, team_size(team));
}

// body(part, begin, end) for every part of [0, n) (see part_range and parallel_parts), the parts
// run by `team`'s members side by side (on the calling thread alone for none). Part p is the same
// range for the same n, grain, align and team size, so a per-part partial result combined in part
// order is reproducible.
template <typename Body>
void parallel_for(ComputeTeam* team, std::size_t n, std::size_t grain, std::size_t align,
                  Body&& body) {
  const std::size_t parts = parallel_parts(team, n, grain);
  if (team == nullptr || parts <= 1) {
    body(std::size_t{0}, std::size_t{0}, n);
    return;
  }
  auto task = [&](int member) {
    const auto part = static_cast<std::size_t>(member);
    if (part >= parts) return;
    const auto [begin, end] = part_range(n, parts, align, part);
    if (begin < end) body(part, begin, end);
  };
  team->run(task);
}

}  // namespace actlab
