// GoogleTest assertions for absl::Status and absl::StatusOr.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sluice::testing::internal {
inline const absl::Status& ToStatus(const absl::Status& status) { return status; }
template <class T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
}  // namespace sluice::testing::internal

#define SLUICE_TEST_CONCAT_INNER(a, b) a##b
#define SLUICE_TEST_CONCAT(a, b) SLUICE_TEST_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                                                                         \
  do {                                                                                          \
    const auto& _sluice_result = (expr); /* keeps a temporary alive */                          \
    const absl::Status& _sluice_status = ::sluice::testing::internal::ToStatus(_sluice_result); \
    ASSERT_TRUE(_sluice_status.ok()) << _sluice_status;                                         \
  } while (0)

#define EXPECT_OK(expr)                                                                         \
  do {                                                                                          \
    const auto& _sluice_result = (expr); /* keeps a temporary alive */                          \
    const absl::Status& _sluice_status = ::sluice::testing::internal::ToStatus(_sluice_result); \
    EXPECT_TRUE(_sluice_status.ok()) << _sluice_status;                                         \
  } while (0)

// ASSERT_OK_AND_ASSIGN(auto x, StatusOrExpr): fails the test on an error,
// otherwise moves the value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                            \
  auto SLUICE_TEST_CONCAT(_sluice_statusor_, __LINE__) = (rexpr);   \
  ASSERT_TRUE(SLUICE_TEST_CONCAT(_sluice_statusor_, __LINE__).ok()) \
      << SLUICE_TEST_CONCAT(_sluice_statusor_, __LINE__).status();  \
  lhs = *std::move(SLUICE_TEST_CONCAT(_sluice_statusor_, __LINE__))

// RETURN_IF_ERROR(StatusExpr): in a helper that returns absl::Status or
// absl::StatusOr, returns the error of a step that failed.
#define RETURN_IF_ERROR(expr)                                         \
  do {                                                                \
    if (absl::Status status_ = (expr); !status_.ok()) return status_; \
  } while (0)
