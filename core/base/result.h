// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Result<T> and Error: Petrel's error values.
//
// Errors are values, never exceptions across module boundaries. An Error has a
// code (what kind of failure), an optional errno, and a message built up as a
// context chain: the innermost failure first, each caller prefixing what it was
// doing ("loading kernel: reading /x: No such file or directory").
//
// GCC 12 and clang 14 in C++20 mode have no std::expected, hence this type.
// Use PETREL_TRY(expr) to propagate a failed Result<...>, and
// PETREL_ASSIGN_OR_RETURN(decl, expr) to unwrap a Result<T> into a variable.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace petrel {

enum class ErrorCode {
  kInvalidArgument,  // a caller or user gave a bad value
  kNotFound,         // a file, device, key or object does not exist
  kOutOfRange,       // an address, offset or size is outside what is allowed
  kMalformed,        // input bytes (an image, a guest structure) are not well formed
  kUnsupported,      // valid, but this build or host cannot do it
  kSystem,           // a system call failed; errnum() says why
  kBusy,             // try again later
  kFailedPrecondition,  // not in a state for this (pause a paused VM, resume a running one)
  kAlreadyExists,    // a name or id that must be unique is taken
  kInternal,         // a bug in Petrel, reported instead of aborting
};

const char* ErrorCodeName(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message, int errnum = 0)
      : code_(code), errnum_(errnum), message_(std::move(message)) {}

  // A system-call failure: "op: strerror(errnum)".
  static Error FromErrno(std::string_view op, int errnum = errno);

  ErrorCode code() const { return code_; }
  int errnum() const { return errnum_; }
  const std::string& message() const { return message_; }

  // Prefixes context: Wrap("loading kernel") -> "loading kernel: <message>".
  Error& Wrap(std::string_view context) &;
  Error Wrap(std::string_view context) &&;  // by value: safe to bind to auto&&

 private:
  ErrorCode code_;
  int errnum_;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  // NOLINTNEXTLINE(google-explicit-constructor): implicit by design.
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return Check(), std::get<0>(storage_); }
  const T& value() const& { return Check(), std::get<0>(storage_); }
  T&& value() && { return Check(), std::get<0>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(storage_); }
  Error&& error() && { return std::get<1>(std::move(storage_)); }

  // Adds context to the error, if any; returns the Result for chaining.
  Result Wrap(std::string_view context) && {
    if (!ok()) std::get<1>(storage_).Wrap(context);
    return std::move(*this);
  }

 private:
  void Check() const {
    if (!ok()) std::abort();  // broken invariant: value() on an error
  }
  std::variant<T, Error> storage_;
};

// The error lives on the heap: success, the common case, is one null pointer
// (and GCC 12 reports false maybe-uninitialized warnings for optional<Error>).
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(Error error) : error_(std::make_unique<Error>(std::move(error))) {}
  Result(const Result& o) : error_(o.error_ ? std::make_unique<Error>(*o.error_) : nullptr) {}
  Result(Result&&) noexcept = default;
  Result& operator=(const Result& o) {
    error_ = o.error_ ? std::make_unique<Error>(*o.error_) : nullptr;
    return *this;
  }
  Result& operator=(Result&&) noexcept = default;

  bool ok() const { return error_ == nullptr; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

  Result Wrap(std::string_view context) && {
    if (error_) error_->Wrap(context);
    return std::move(*this);
  }

 private:
  std::unique_ptr<Error> error_;
};

inline Result<void> Ok() { return {}; }

}  // namespace petrel

#define PETREL_CONCAT_INNER_(a, b) a##b
#define PETREL_CONCAT_(a, b) PETREL_CONCAT_INNER_(a, b)

// Returns the error of `expr` (a Result<...>) from the enclosing function.
#define PETREL_TRY(expr)                                   \
  do {                                                     \
    auto&& petrel_try_result_ = (expr);                    \
    if (!petrel_try_result_.ok())                          \
      return std::move(petrel_try_result_).error();        \
  } while (0)

#define PETREL_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).error();        \
  decl = std::move(tmp).value()

// `PETREL_ASSIGN_OR_RETURN(auto x, Foo());` declares x from Foo()'s value or
// returns Foo()'s error.
#define PETREL_ASSIGN_OR_RETURN(decl, expr) \
  PETREL_ASSIGN_OR_RETURN_IMPL_(PETREL_CONCAT_(petrel_aor_, __LINE__), decl, expr)
