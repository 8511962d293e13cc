// The compute team: every part of a pass runs exactly once, on the members it is meant for, nested
// work stays on its thread, sleeping members wake up, idle work is done once and whole before
// finish_idle_work returns; and a GEMM split between the members gives
// the product (to float rounding), the same bits on every call.
#include "actlab/core/compute_team.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "actlab/core/gemm.hpp"
#include "actlab/core/matrix.hpp"
#include "actlab/core/rng.hpp"

namespace actlab {
namespace {

TEST(PartRange, CutsIntoAlignedContiguousRangesThatCoverEverything) {
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 100u, 1000u, 4097u})
    for (std::size_t parts : {1u, 2u, 3u, 7u})
      for (std::size_t align : {1u, 16u, 4096u}) {
        SCOPED_TRACE(testing::Message() << n << " in " << parts << " aligned to " << align);
        std::size_t next = 0;
        for (std::size_t p = 0; p < parts; ++p) {
          const auto [begin, end] = part_range(n, parts, align, p);
          EXPECT_EQ(begin, next);
          EXPECT_LE(begin, end);
          if (p + 1 < parts && end < n) {
            EXPECT_EQ((end - begin) % align, 0u);
          }
          next = end;
        }
        EXPECT_EQ(next, n);
      }
}

TEST(ComputeTeam, RunsTheTaskOnceOnEveryMemberEachOnItsOwnThread) {
  for (int size : {1, 2, 3, 4}) {
    ComputeTeam team(size);
    for (int round = 0; round < 200; ++round) {
      std::vector<std::thread::id> ids(static_cast<std::size_t>(size));
      std::atomic<int> calls{0};
      auto task = [&](int member) {
        ids[static_cast<std::size_t>(member)] = std::this_thread::get_id();
        calls.fetch_add(1);
      };
      team.run(task);
      ASSERT_EQ(calls.load(), size);
      EXPECT_EQ(ids[0], std::this_thread::get_id());
      EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(),
                static_cast<std::size_t>(size));
    }
  }
}

TEST(ComputeTeam, WakesMembersThatFellAsleep) {
  ComputeTeam team(3);
  for (int round = 0; round < 3; ++round) {
    // Longer than a member spins before it sleeps.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::atomic<int> calls{0};
    auto task = [&](int) { calls.fetch_add(1); };
    team.run(task);
    EXPECT_EQ(calls.load(), 3);
  }
}

// Postings of different sizes (none included), with passes run in between whose members take
// units while they wait: each unit runs exactly once, and its write is seen after finish.
TEST(ComputeTeamIdleWork, EveryUnitRunsOnceAndIsDoneWhenFinishReturns) {
  for (int size : {1, 2, 3}) {
    ComputeTeam team(size);
    std::vector<int> runs(1000);
    for (std::size_t posting = 0; posting < 60; ++posting) {
      const std::size_t units = posting % 7 == 0 ? 0 : 1 + posting * 131 % runs.size();
      std::fill(runs.begin(), runs.end(), 0);
      auto body = [&](std::size_t unit) { ++runs[unit]; };  // a unit is run by one thread
      team.post_idle_work(body, units);
      for (std::size_t pass = 0; pass < posting % 4; ++pass) {
        std::atomic<int> calls{0};
        auto task = [&](int) { calls.fetch_add(1); };
        team.run(task);
        ASSERT_EQ(calls.load(), size);
      }
      team.finish_idle_work();
      for (std::size_t unit = 0; unit < runs.size(); ++unit)
        ASSERT_EQ(runs[unit], unit < units ? 1 : 0) << "size " << size << ", posting " << posting
                                                    << " of " << units << " units, unit " << unit;
    }
  }
}

// While member 0 is busy on its own (a step's serial work), a worker that finished its part takes
// the idle units; member 0 waiting for a slow worker takes them all. The work is posted inside the
// pass, by member 0, so that no member can take a unit before the pass began.
TEST(ComputeTeamIdleWork, MembersThatWaitTakeTheUnits) {
  constexpr std::size_t kUnits = 64;
  ComputeTeam team(2);
  for (const int busy : {0, 1}) {
    std::vector<std::thread::id> ran_on(kUnits);
    std::atomic<std::size_t> done{0};
    auto body = [&](std::size_t unit) {
      ran_on[unit] = std::this_thread::get_id();
      done.fetch_add(1);
    };
    // The busy member works until the other has done every unit (or 10 s have passed).
    auto task = [&,
                 until = std::chrono::steady_clock::now() + std::chrono::seconds(10)](int member) {
      if (member == 0) team.post_idle_work(body, kUnits);
      if (member != busy) return;
      while (done.load() < kUnits && std::chrono::steady_clock::now() < until)
        std::this_thread::yield();
    };
    team.run(task);
    EXPECT_EQ(done.load(), kUnits) << "member " << busy << " busy";
    team.finish_idle_work();
    const auto on_caller = static_cast<std::size_t>(
        std::count(ran_on.begin(), ran_on.end(), std::this_thread::get_id()));
    EXPECT_EQ(on_caller, busy == 0 ? 0u : kUnits) << "member " << busy << " busy";
  }
}

TEST(ParallelFor, CoversEveryIndexOnceWithOrWithoutATeam) {
  ComputeTeam team(3);
  for (ComputeTeam* t : {static_cast<ComputeTeam*>(nullptr), &team}) {
    for (std::size_t n : {0u, 5u, 100u, 10000u}) {
      std::vector<int> hits(n, 0);
      std::atomic<std::size_t> parts_seen{0};
      const std::size_t parts = parallel_parts(t, n, 16);
      parallel_for(t, n, 16, 4, [&](std::size_t part, std::size_t begin, std::size_t end) {
        EXPECT_LT(part, parts);
        for (std::size_t i = begin; i < end; ++i)
          ++hits[i];
        parts_seen.fetch_add(1);
      });
      EXPECT_EQ(hits, std::vector<int>(n, 1)) << n;
      if (t != nullptr && n == 10000) {
        EXPECT_EQ(parts_seen.load(), 3u);
      }
      if (t == nullptr) {
        EXPECT_EQ(parts_seen.load(), 1u);
      }
    }
  }
}

// A part's body runs on one member's thread: a loop inside it that is given no team runs there
// as one part.
TEST(ParallelFor, WorkInsideAPartRunsOnItsOwnThread) {
  ComputeTeam team(2);
  std::atomic<int> nested_parts{0};
  parallel_for(&team, 1000, 10, 1, [&](std::size_t, std::size_t, std::size_t) {
    parallel_for(nullptr, 1000, 10, 1,
                 [&](std::size_t, std::size_t, std::size_t) { ++nested_parts; });
  });
  EXPECT_EQ(nested_parts.load(), 2);  // each of the two parts ran its nested loop as one part
}

TEST(TeamSize, IsOneWithoutATeam) {
  ComputeTeam a(1), b(2);
  EXPECT_EQ(team_size(nullptr), 1u);
  EXPECT_EQ(team_size(&a), 1u);
  EXPECT_EQ(team_size(&b), 2u);
}

Matrix<float> random_matrix(std::size_t rows, std::size_t cols, Rng& rng) {
  Matrix<float> m(rows, cols);
  for (std::size_t i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(rng.uniform(-1, 1));
  return m;
}

// C = op(A) op(B) in double, the reference.
Matrix<double> reference_product(Transpose ta, Transpose tb, const Matrix<float>& a,
                                 const Matrix<float>& b, std::size_t m, std::size_t n,
                                 std::size_t k) {
  Matrix<double> c(m, n);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (std::size_t l = 0; l < k; ++l)
        sum += static_cast<double>(ta == Transpose::kYes ? a(l, i) : a(i, l)) *
               static_cast<double>(tb == Transpose::kYes ? b(j, l) : b(l, j));
      c(i, j) = sum;
    }
  return c;
}

// The shapes a Linear layer's GEMMs take, rows and columns not multiples of 16 among them, wide
// (split by columns) and tall (split by rows), on teams of 2 and 3.
TEST(TeamGemm, SplitProductsMatchTheReferenceAndRepeatBitForBit) {
  struct Shape {
    std::size_t m, n, k;
  };
  Rng rng(7);
  for (int size : {2, 3}) {
    ComputeTeam team(size);
    for (const Shape s : {Shape{64, 200, 97}, Shape{301, 70, 64}, Shape{128, 784, 128}})
      for (Transpose ta : {Transpose::kNo, Transpose::kYes})
        for (Transpose tb : {Transpose::kNo, Transpose::kYes}) {
          SCOPED_TRACE(testing::Message() << size << " members, " << s.m << "x" << s.n << "x" << s.k
                                          << (ta == Transpose::kYes ? " Aᵀ" : "")
                                          << (tb == Transpose::kYes ? " Bᵀ" : ""));
          const Matrix<float> a =
              ta == Transpose::kYes ? random_matrix(s.k, s.m, rng) : random_matrix(s.m, s.k, rng);
          const Matrix<float> b =
              tb == Transpose::kYes ? random_matrix(s.n, s.k, rng) : random_matrix(s.k, s.n, rng);
          const Matrix<float> start = random_matrix(s.m, s.n, rng);
          Matrix<float> c = start, again = start;
          gemm<float>(ta, tb, 1.0f, a.view(), b.view(), 0.5f, c.view(), &team);
          gemm<float>(ta, tb, 1.0f, a.view(), b.view(), 0.5f, again.view(), &team);
          const Matrix<double> expected = reference_product(ta, tb, a, b, s.m, s.n, s.k);
          for (std::size_t i = 0; i < s.m; ++i)
            for (std::size_t j = 0; j < s.n; ++j)
              ASSERT_NEAR(c(i, j), expected(i, j) + 0.5 * start(i, j),
                          1e-4 * static_cast<double>(s.k))
                  << i << "," << j;
          EXPECT_EQ(std::vector<float>(c.data(), c.data() + c.size()),
                    std::vector<float>(again.data(), again.data() + again.size()));
        }
  }
}

// Linear relies on this: prepare() sees each element of C in exactly one block, before the product
// is added to it (beta = 1 keeps what prepare wrote), and alongside() runs once per part of the
// split.
TEST(TeamGemm, CompanionsSeeEveryBlockOnceBeforeTheProductAndEveryPartOnce) {
  Rng rng(11);
  const std::size_t m = 128, n = 160, k = 96;
  const Matrix<float> a = random_matrix(m, k, rng);
  const Matrix<float> b = random_matrix(n, k, rng);
  const Matrix<double> product = reference_product(Transpose::kNo, Transpose::kYes, a, b, m, n, k);
  for (int size : {1, 2, 3})
    for (GemmSplit split : {GemmSplit::kAuto, GemmSplit::kRows, GemmSplit::kColumns}) {
      SCOPED_TRACE(testing::Message() << size << " members, split " << static_cast<int>(split));
      ComputeTeam team(size);
      Matrix<float> c(m, n);
      Matrix<int> visits(m, n);
      std::vector<std::atomic<int>> part_calls(4);
      std::atomic<std::size_t> reported_parts{0};
      auto prepare = [&](const MatrixBlock& block) {
        for (std::size_t i = block.row_begin; i < block.row_end; ++i)
          for (std::size_t j = block.col_begin; j < block.col_end; ++j) {
            c(i, j) = 1.0f;  // the product must land on top of this
            ++visits(i, j);
          }
      };
      auto alongside = [&](std::size_t part, std::size_t parts) {
        ++part_calls[part];
        reported_parts = parts;
      };
      gemm<float>(Transpose::kNo, Transpose::kYes, 1.0f, a.view(), b.view(), 1.0f, c.view(), &team,
                  {.prepare = prepare, .alongside = alongside, .split = split});
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
          ASSERT_EQ(visits(i, j), 1) << i << "," << j;
          ASSERT_NEAR(c(i, j), product(i, j) + 1.0, 1e-4 * static_cast<double>(k)) << i << "," << j;
        }
      // 128 × 160 × 96 is large enough to split: one part per member.
      EXPECT_EQ(reported_parts.load(), static_cast<std::size_t>(size));
      for (std::size_t part = 0; part < part_calls.size(); ++part)
        EXPECT_EQ(part_calls[part].load(), part < static_cast<std::size_t>(size) ? 1 : 0) << part;
    }
}

// A weight gradient's GEMM (Aᵀ·B) with its rows split, as Linear asks for it.
TEST(TeamGemm, AWeightGradientSplitByRowsMatchesTheReference) {
  Rng rng(5);
  const std::size_t out = 256, in = 784, batch = 128;
  const Matrix<float> dy = random_matrix(batch, out, rng);
  const Matrix<float> x = random_matrix(batch, in, rng);
  Matrix<float> split(out, in);
  ComputeTeam team(2);
  gemm<float>(Transpose::kYes, Transpose::kNo, 1.0f, dy.view(), x.view(), 0.0f, split.view(), &team,
              {.prepare = {}, .alongside = {}, .split = GemmSplit::kRows});
  const Matrix<double> expected =
      reference_product(Transpose::kYes, Transpose::kNo, dy, x, out, in, batch);
  for (std::size_t i = 0; i < out; ++i)
    for (std::size_t j = 0; j < in; ++j)
      ASSERT_NEAR(split(i, j), expected(i, j), 1e-4 * static_cast<double>(batch)) << i << "," << j;
}

// Which dimension of C a team divides, seen from the blocks prepare() is handed: kAuto divides the
// longer side, but the rows of a product with a short inner dimension (an output layer's input
// gradient, k = its 10 classes); a requested side too short to give each member a part (a weight
// gradient's 10 rows) gives way to the other.
TEST(TeamGemm, SplitsTheSideThatSuitsTheShape) {
  struct Case {
    std::size_t m, n, k;
    GemmSplit split;
    bool columns;  // expected
  };
  Rng rng(17);
  for (const Case& s :
       {Case{128, 256, 256, GemmSplit::kAuto, true}, Case{256, 128, 256, GemmSplit::kAuto, false},
        Case{128, 256, 10, GemmSplit::kAuto, false}, Case{10, 256, 128, GemmSplit::kRows, true},
        Case{256, 784, 128, GemmSplit::kRows, false},
        Case{128, 10, 784, GemmSplit::kColumns, false}}) {
    SCOPED_TRACE(testing::Message()
                 << s.m << "x" << s.n << "x" << s.k << " split " << static_cast<int>(s.split));
    const Matrix<float> a = random_matrix(s.m, s.k, rng);
    const Matrix<float> b = random_matrix(s.k, s.n, rng);
    Matrix<float> c(s.m, s.n);
    ComputeTeam team(2);
    std::vector<MatrixBlock> blocks(2);
    std::atomic<int> count{0};
    auto prepare = [&](const MatrixBlock& block) {
      blocks[static_cast<std::size_t>(count++)] = block;
    };
    gemm<float>(Transpose::kNo, Transpose::kNo, 1.0f, a.view(), b.view(), 0.0f, c.view(), &team,
                {.prepare = prepare, .alongside = {}, .split = s.split});
    ASSERT_EQ(count.load(), 2);
    for (const MatrixBlock& block : blocks) {
      if (s.columns) {
        EXPECT_EQ(block.row_begin, 0u);
        EXPECT_EQ(block.row_end, s.m);
      } else {
        EXPECT_EQ(block.col_begin, 0u);
        EXPECT_EQ(block.col_end, s.n);
      }
    }
    const Matrix<double> expected =
        reference_product(Transpose::kNo, Transpose::kNo, a, b, s.m, s.n, s.k);
    for (std::size_t i = 0; i < s.m; ++i)
      for (std::size_t j = 0; j < s.n; ++j)
        ASSERT_NEAR(c(i, j), expected(i, j), 1e-4 * static_cast<double>(s.k)) << i << "," << j;
  }
}

}  // namespace
}  // namespace actlab
