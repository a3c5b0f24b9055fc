// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Overloaded: combines lambdas into one visitor for std::visit.
//   std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, v);
#pragma once

namespace petrel {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace petrel
