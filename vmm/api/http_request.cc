// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// ParseHttpRequest (see http_request.h). Section numbers are RFC 9112 unless
// marked RFC 9110.
#include "vmm/api/http_request.h"

#include <algorithm>
#include <cstdint>

namespace petrel::api {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kHeaderEnd = "\r\n\r\n";

HttpParseResult Fail(int status, std::string message) {
  HttpParseResult r;
  r.kind = HttpParseResult::Kind::kError;
  r.status = status;
  r.error = std::move(message);
  return r;
}

HttpParseResult NeedMore() {
  return HttpParseResult{};
}

// RFC 9110 5.6.2: tchar.
bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar);
}

// RFC 9110 5.5: field-value bytes are VCHAR, obs-text, SP and HTAB.
bool IsFieldValueByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || u == ' ' || (u >= 0x21 && u != 0x7f);
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Section 3: request-line = method SP request-target SP HTTP-version.
HttpParseResult ParseRequestLine(std::string_view line, HttpRequest& req) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Fail(400, "malformed request line");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "malformed request method");
  // Section 3.2.1: origin-form only; no SP, CTL or DEL in a target.
  if (target.empty() || target.front() != '/') {
    return Fail(400, "request target must be an absolute path (origin-form)");
  }
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return Fail(400, "invalid byte in request target");
  }
  // Section 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT.
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return Fail(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  req.method = std::string(method);
  req.target = std::string(target);
  req.minor_version = version[7] - '0';
  return HttpParseResult{HttpParseResult::Kind::kComplete, {}, 0, 0, {}};
}

// Checks bytes that are already final before the header section is complete,
// so garbage is refused without waiting for kMaxHeaderBytes of it.
HttpParseResult CheckPartial(std::string_view buffer, size_t start) {
  for (size_t i = start; i < buffer.size(); ++i) {
    if (buffer[i] == '\0') return Fail(400, "NUL byte in request header");
    if (buffer[i] == '\n' && (i == start || buffer[i - 1] != '\r')) {
      return Fail(400, "header line not terminated by CRLF");
    }
  }
  size_t eol = buffer.find(kCrlf, start);
  if (eol != std::string_view::npos) {
    HttpRequest scratch;
    HttpParseResult line = ParseRequestLine(buffer.substr(start, eol - start), scratch);
    if (line.kind == HttpParseResult::Kind::kError) return line;
  }
  if (buffer.size() >= kMaxHeaderBytes) {
    return Fail(431,
                "request line and headers exceed " + std::to_string(kMaxHeaderBytes) + " bytes");
  }
  return NeedMore();
}

// Section 6.3 item 5: Content-Length = 1*DIGIT, capped at kMaxBodyBytes.
HttpParseResult ParseContentLength(std::string_view value, size_t& length) {
  if (value.empty()) return Fail(400, "empty Content-Length");
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return Fail(400, "Content-Length is not a decimal number");
    n = n * 10 + static_cast<uint64_t>(c - '0');
    if (n > kMaxBodyBytes) {
      return Fail(413, "request body exceeds " + std::to_string(kMaxBodyBytes) + " bytes");
    }
  }
  length = static_cast<size_t>(n);
  return NeedMore();
}

// Section 9.3: the Connection field's options, comma-separated tokens.
void ApplyConnectionOptions(std::string_view value, bool& saw_close, bool& saw_keep_alive) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = TrimOws(value.substr(0, comma));
    if (EqualsIgnoreCase(item, "close")) saw_close = true;
    if (EqualsIgnoreCase(item, "keep-alive")) saw_keep_alive = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

const std::string* HttpRequest::FindHeader(std::string_view lower_name) const {
  for (const HttpHeader& h : headers)
    if (h.name == lower_name) return &h.value;
  return nullptr;
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

HttpParseResult ParseHttpRequest(std::string_view buffer, BodyLimit body_limit) {
  // Section 2.2: ignore empty lines before the request line.
  size_t start = 0;
  while (buffer.size() - start >= 2 && buffer.substr(start, 2) == kCrlf) start += 2;
  if (start >= kMaxHeaderBytes) return Fail(431, "too many empty lines before the request");
  const size_t limit = std::min(buffer.size(), kMaxHeaderBytes);
  const size_t end = buffer.substr(0, limit).find(kHeaderEnd, start);
  if (end == std::string_view::npos) return CheckPartial(buffer, start);

  HttpParseResult result;
  HttpRequest& req = result.request;
  std::string_view head = buffer.substr(start, end + 2 - start);  // lines, each ending CRLF
  size_t eol = head.find(kCrlf);
  std::string_view request_line = head.substr(0, eol);
  if (request_line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return Fail(400, "stray CR, LF or NUL in request line");
  }
  HttpParseResult line = ParseRequestLine(request_line, req);
  if (line.kind == HttpParseResult::Kind::kError) return line;
  head.remove_prefix(eol + 2);

  bool have_length = false;
  size_t content_length = 0;
  bool saw_close = false, saw_keep_alive = false;
  while (!head.empty()) {
    eol = head.find(kCrlf);
    std::string_view field = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (field.empty()) return Fail(400, "empty header line");
    if (field.front() == ' ' || field.front() == '\t') {
      return Fail(400, "obsolete header line folding is not supported");
    }
    if (req.headers.size() == kMaxHeaderCount) {
      return Fail(431, "more than " + std::to_string(kMaxHeaderCount) + " header fields");
    }
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) return Fail(400, "header line without ':'");
    std::string_view name = field.substr(0, colon);
    // Section 5.1: no whitespace between the field name and the colon.
    if (!IsToken(name)) return Fail(400, "malformed header field name");
    std::string_view value = TrimOws(field.substr(colon + 1));
    if (!std::all_of(value.begin(), value.end(), IsFieldValueByte)) {
      return Fail(400, "invalid byte in header field value");
    }
    HttpHeader header{ToLower(name), std::string(value)};
    if (header.name == "transfer-encoding") {
      return Fail(411, "Transfer-Encoding (chunked) is not supported; send Content-Length");
    }
    if (header.name == "content-length") {
      size_t n = 0;
      HttpParseResult cl = ParseContentLength(value, n);
      if (cl.kind == HttpParseResult::Kind::kError) return cl;
      if (have_length && n != content_length) return Fail(400, "conflicting Content-Length");
      have_length = true;
      content_length = n;
    }
    if (header.name == "connection") ApplyConnectionOptions(value, saw_close, saw_keep_alive);
    req.headers.push_back(std::move(header));
  }
  req.keep_alive = req.minor_version >= 1 ? !saw_close : (saw_keep_alive && !saw_close);

  if (body_limit != nullptr) {
    const size_t max = body_limit(req);
    if (content_length > max) {
      return Fail(413, "request body of " + std::to_string(content_length) + " bytes exceeds the " +
                           std::to_string(max) + " bytes " + std::string(req.Path()) + " takes");
    }
  }
  const size_t body_start = end + kHeaderEnd.size();
  if (buffer.size() - body_start < content_length) return NeedMore();
  req.body = std::string(buffer.substr(body_start, content_length));
  result.kind = HttpParseResult::Kind::kComplete;
  result.consumed = body_start + content_length;
  return result;
}

}  // namespace petrel::api
