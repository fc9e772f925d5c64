#pragma once
// Errors as values at every boundary. One Error shape travels from the domain to the HTTP layer,
// where http/error_mapping turns its kind into a status code; the code and message are what the
// client sees, so they must never contain secrets.

#include <string>
#include <utility>
#include <variant>

namespace roomplane::core {

// What went wrong, coarse enough to choose a status code from and no finer.
enum class ErrorKind {
  kInvalidArgument,  // 400: malformed request
  kUnprocessable,    // 422: well-formed but breaks a rule (e.g. identity policy)
  kUnauthenticated,  // 401
  kForbidden,        // 403
  kNotFound,         // 404 (also: another tenant's object)
  kConflict,         // 409
  kPayloadTooLarge,  // 413
  kRateLimited,      // 429
  kUnavailable,      // 503: a dependency is down; retrying may help
  kInternal,         // 500: a bug or an impossible state
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;     // stable, machine-readable, snake_case (e.g. "identity_too_long")
  std::string message;  // for humans: says what to fix
  // The numeric code of an upstream system when it caused the error (e.g. Twilio's 20404), so
  // callers can branch on it without parsing messages. 0 when there is none.
  int upstream_code = 0;

  static Error invalid_argument(std::string code, std::string message) {
    return {ErrorKind::kInvalidArgument, std::move(code), std::move(message)};
  }
  static Error unprocessable(std::string code, std::string message) {
    return {ErrorKind::kUnprocessable, std::move(code), std::move(message)};
  }
  static Error not_found(std::string code, std::string message) {
    return {ErrorKind::kNotFound, std::move(code), std::move(message)};
  }
  static Error conflict(std::string code, std::string message) {
    return {ErrorKind::kConflict, std::move(code), std::move(message)};
  }
  static Error unauthenticated(std::string message = "missing or invalid API key") {
    return {ErrorKind::kUnauthenticated, "unauthenticated", std::move(message)};
  }
  static Error unavailable(std::string code, std::string message) {
    return {ErrorKind::kUnavailable, std::move(code), std::move(message)};
  }
  static Error internal(std::string message) {
    return {ErrorKind::kInternal, "internal", std::move(message)};
  }
};

// Result<T>: a T or an Error. Deliberately small (C++20 has no std::expected); the accessors
// assume the caller checked ok() first, as with std::optional.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }
  Error&& take_error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Error&& take_error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace roomplane::core
