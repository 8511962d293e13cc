#include "actlab/core/compute_team.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace actlab {
namespace {

// How long a worker spins for the next pass before it sleeps. Between the passes of a step it
// never waits longer than the caller's serial work (the loss, a probe measurement), so it stays
// awake through a run; waking one from sleep costs more than most passes take.
constexpr auto kSpinTime = std::chrono::milliseconds(2);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

ComputeTeam::ComputeTeam(int size) : size_(size) {
  if (size < 1) throw std::invalid_argument("ComputeTeam: size must be at least 1");
  workers_.reserve(static_cast<std::size_t>(size - 1));
  for (int member = 1; member < size; ++member)
    workers_.emplace_back([this, member] { work(member); });
}

ComputeTeam::~ComputeTeam() {
  stopping_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  workers_.clear();  // joins
}

void ComputeTeam::dispatch(TaskFunction function, void* task) {
  if (size_ == 1) {
    function(task, 0);
    return;
  }
  function_ = function;
  task_ = task;
  finished_.store(0, std::memory_order_relaxed);
  // seq_cst, paired with the worker's sleeping_ increment before its last look at generation_: a
  // worker either sees the new generation or is counted in sleeping_ here, and woken.
  generation_.fetch_add(1);
  if (sleeping_.load() > 0) generation_.notify_all();
  function(task, 0);
  const int workers = size_ - 1;
  while (finished_.load(std::memory_order_acquire) != workers)
    if (!run_idle_unit()) cpu_relax();
}

namespace {
constexpr std::uint64_t kUnitBits = 0xffffffffU;
constexpr std::uint64_t kClosed = kUnitBits;  // more than any posting's units: none can be taken
}  // namespace

void ComputeTeam::post_idle(UnitFunction function, void* body, std::size_t units) {
  finish_idle_work();
  if (units >= kClosed) throw std::invalid_argument("ComputeTeam: idle work of 2^32 units or more");
  // Closed first: from here on a member holding a word of the last posting fails to take a unit
  // with it, and one that reads the new unit count (acquire) also sees the word closed.
  const std::uint64_t posting = (idle_next_.load(std::memory_order_relaxed) >> 32) + 1;
  idle_next_.store(posting << 32 | kClosed, std::memory_order_relaxed);
  idle_function_.store(function, std::memory_order_relaxed);
  idle_body_.store(body, std::memory_order_relaxed);
  idle_done_.store(0, std::memory_order_relaxed);
  idle_units_.store(units, std::memory_order_release);
  idle_next_.store(posting << 32, std::memory_order_release);
}

bool ComputeTeam::run_idle_unit() {
  std::uint64_t next = idle_next_.load(std::memory_order_acquire);
  for (;;) {
    if ((next & kUnitBits) >= idle_units_.load(std::memory_order_acquire)) return false;
    if (idle_next_.compare_exchange_weak(next, next + 1, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
      break;
  }
  // The unit is ours, of the posting whose fields are read here: the next posting comes only
  // after every unit of this one is done.
  idle_function_.load(std::memory_order_relaxed)(idle_body_.load(std::memory_order_relaxed),
                                                 next & kUnitBits);
  idle_done_.fetch_add(1, std::memory_order_release);
  return true;
}

void ComputeTeam::finish_idle_work() {
  const std::size_t units = idle_units_.load(std::memory_order_relaxed);
  if ((idle_next_.load(std::memory_order_relaxed) & kUnitBits) < units) {
    auto task = [this](int) {
      while (run_idle_unit()) {
      }
    };
    run(task);
  }
  while (idle_done_.load(std::memory_order_acquire) != units)
    cpu_relax();
}

void ComputeTeam::work(int member) {
  // The generation at construction, not whatever it is by the time this thread starts: a run()
  // may already have been dispatched.
  std::uint32_t seen = 0;
  for (;;) {
    std::uint32_t now = generation_.load(std::memory_order_acquire);
    if (now == seen) {
      const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
      for (unsigned spin = 1; now == seen; ++spin) {
        if (!run_idle_unit()) cpu_relax();
        now = generation_.load(std::memory_order_acquire);
        if (now == seen && spin % 1024 == 0 && std::chrono::steady_clock::now() > deadline) {
          sleeping_.fetch_add(1);
          generation_.wait(seen);  // returns at once if generation_ moved since
          sleeping_.fetch_sub(1);
          now = generation_.load(std::memory_order_acquire);
        }
      }
    }
    seen = now;
    if (stopping_.load()) return;
    function_(task_, member);
    finished_.fetch_add(1, std::memory_order_release);
  }
}

std::pair<std::size_t, std::size_t> part_range(std::size_t n, std::size_t parts, std::size_t align,
                                               std::size_t part) {
  const std::size_t per_part = (n + parts - 1) / parts;
  const std::size_t chunk = (per_part + align - 1) / align * align;
  const std::size_t begin = std::min(n, part * chunk);
  const std::size_t end = part + 1 == parts ? n : std::min(n, begin + chunk);
  return {begin, end};
}

std::size_t parts_of(std::size_t n, std::size_t grain, std::size_t members) {
  if (members <= 1) return 1;
  return std::clamp<std::size_t>(n / std::max<std::size_t>(grain, 1), 1, members);
}

}  // namespace actlab
