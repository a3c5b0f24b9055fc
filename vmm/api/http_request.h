// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// HTTP/1.1 request parsing for the API server: a pure, incremental function
// over the bytes received so far on one connection.
//
// ParseHttpRequest() looks at the front of the buffer and says one of:
//   kNeedMore: no complete request yet (call again when more bytes arrive);
//   kComplete: one request, and how many bytes it used (`consumed`), so the
//              caller drops them and parses again for a pipelined request;
//   kError:    the bytes can never become a valid request; `status` is the
//              HTTP status to answer with before closing the connection.
//
// What is accepted (RFC 9112, kept strict because the API is not a web server):
//   - request line "METHOD SP origin-form-target SP HTTP/1.x CRLF"
//     (RFC 9112 section 3); the method is a token, the target starts with '/'
//     and has no control bytes or spaces; HTTP/1.0 and HTTP/1.1 only (else 505);
//   - empty lines (CRLF) before the request line are skipped (section 2.2);
//   - header fields "name: OWS value OWS CRLF" (section 5); no obs-fold (a
//     line starting with SP/HT is rejected, section 5.2); lines end in CRLF;
//   - the body length comes from Content-Length only (section 6.3). Any
//     Transfer-Encoding (chunked or other) is answered 411 Length Required.
//     Repeated Content-Length fields must agree.
// Caps (the peer is untrusted; every limit has a name):
//   kMaxHeaderBytes   request line + headers + blank line (else 431)
//   kMaxHeaderCount   header fields (else 431)
//   kMaxBodyBytes     Content-Length (else 413)
// Connection persistence (RFC 9112 section 9.3): HTTP/1.1 keeps the
// connection open unless "Connection: close"; HTTP/1.0 closes unless
// "Connection: keep-alive".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace petrel::api {

inline constexpr size_t kMaxHeaderBytes = size_t{8} << 10;
inline constexpr size_t kMaxHeaderCount = 64;
inline constexpr size_t kMaxBodyBytes = size_t{1} << 20;

struct HttpHeader {
  std::string name;   // lower-cased (field names are case-insensitive, RFC 9110 5.1)
  std::string value;  // without surrounding whitespace
};

struct HttpRequest {
  std::string method;     // case-sensitive (RFC 9110 9.1): "GET", "PUT", ...
  std::string target;     // as sent, e.g. "/api/v1/vmm.ping?x=1"
  int minor_version = 1;  // HTTP/1.<minor_version>
  std::vector<HttpHeader> headers;
  std::string body;
  bool keep_alive = true;

  // The value of the first header named `lower_name` (lower case), or null.
  const std::string* FindHeader(std::string_view lower_name) const;
  // The target without its query ("?...") part.
  std::string_view Path() const;
};

struct HttpParseResult {
  enum class Kind { kNeedMore, kComplete, kError };
  Kind kind = Kind::kNeedMore;
  HttpRequest request;  // kComplete only
  size_t consumed = 0;  // kComplete: bytes of the buffer this request used
  int status = 0;       // kError: 400, 411, 413, 431 or 505
  std::string error;    // kError: one line saying what is wrong
};

// How long a body the request (its method and target; the headers are
// complete, the body is not) may carry. A longer Content-Length is refused
// with 413 before any of the body is buffered (RFC 9110 section 15.5.14).
using BodyLimit = size_t (*)(const HttpRequest& head);

// `body_limit` null: only kMaxBodyBytes applies.
HttpParseResult ParseHttpRequest(std::string_view buffer, BodyLimit body_limit = nullptr);

}  // namespace petrel::api
