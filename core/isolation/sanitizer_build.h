// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Whether this build carries a sanitizer runtime (ASan, TSan, UBSan): the
// one place that asks the compiler. Isolation relaxes itself for those
// runtimes in test builds only (their exit-time leak check ptraces the
// threads and reads /proc; symbolizing reports opens files), never in the
// production binary, which is built without them.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PETREL_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
#define PETREL_SANITIZER_BUILD 1
#endif
#endif
#ifndef PETREL_SANITIZER_BUILD
#define PETREL_SANITIZER_BUILD 0
#endif

namespace petrel::isolation {

inline constexpr bool kSanitizerBuild = PETREL_SANITIZER_BUILD != 0;

}  // namespace petrel::isolation
