// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Error formatting helpers for result.h.
#include "core/base/result.h"

#include <cstring>

namespace petrel {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kOutOfRange: return "out of range";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kSystem: return "system error";
    case ErrorCode::kBusy: return "busy";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown";
}

Error Error::FromErrno(std::string_view op, int errnum) {
  std::string msg(op);
  msg += ": ";
  msg += std::strerror(errnum);
  return Error(ErrorCode::kSystem, std::move(msg), errnum);
}

Error& Error::Wrap(std::string_view context) & {
  std::string msg(context);
  msg += ": ";
  msg += message_;
  message_ = std::move(msg);
  return *this;
}

Error Error::Wrap(std::string_view context) && {
  Wrap(context);
  return std::move(*this);
}

}  // namespace petrel
