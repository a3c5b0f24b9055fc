// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for ParseHttpRequest: complete, partial, pipelined, oversized and
// malformed requests.
#include "vmm/api/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace petrel::api {
namespace {

using Kind = HttpParseResult::Kind;

HttpParseResult Parse(std::string_view s) {
  return ParseHttpRequest(s);
}

int ErrorStatus(std::string_view s) {
  HttpParseResult r = Parse(s);
  EXPECT_EQ(r.kind, Kind::kError) << s;
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
  return r.status;
}

TEST(HttpRequestTest, ChRemoteStyleGet) {
  const std::string req = "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
  HttpParseResult r = Parse(req);
  ASSERT_EQ(r.kind, Kind::kComplete) << r.error;
  EXPECT_EQ(r.consumed, req.size());
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.target, "/api/v1/vmm.ping");
  EXPECT_EQ(r.request.minor_version, 1);
  ASSERT_EQ(r.request.headers.size(), 2u);
  EXPECT_EQ(r.request.headers[0].name, "host");
  EXPECT_EQ(r.request.headers[0].value, "localhost");
  EXPECT_TRUE(r.request.body.empty());
  EXPECT_TRUE(r.request.keep_alive);
}

TEST(HttpRequestTest, BodyAndCaseInsensitiveHeaders) {
  const std::string req =
      "PUT /api/v1/vm.create?x=1 HTTP/1.1\r\ncOnTeNt-LeNgTh:  5 \r\nX-A:\tv\t\r\n\r\nhello";
  HttpParseResult r = Parse(req);
  ASSERT_EQ(r.kind, Kind::kComplete) << r.error;
  EXPECT_EQ(r.request.body, "hello");
  EXPECT_EQ(r.request.Path(), "/api/v1/vm.create");
  ASSERT_NE(r.request.FindHeader("x-a"), nullptr);
  EXPECT_EQ(*r.request.FindHeader("x-a"), "v");
  EXPECT_EQ(r.request.FindHeader("missing"), nullptr);
}

TEST(HttpRequestTest, EveryPrefixNeedsMore) {
  const std::string req = "PUT /api/v1/vm.shutdown HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  for (size_t n = 0; n < req.size(); ++n) {
    EXPECT_EQ(Parse(req.substr(0, n)).kind, Kind::kNeedMore) << n;
  }
  EXPECT_EQ(Parse(req).kind, Kind::kComplete);
}

TEST(HttpRequestTest, PipelinedRequestsParseOneAtATime) {
  const std::string a = "GET /a HTTP/1.1\r\n\r\n";
  const std::string b = "PUT /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy";
  std::string buf = a + b + "GET /c";
  HttpParseResult r1 = Parse(buf);
  ASSERT_EQ(r1.kind, Kind::kComplete);
  EXPECT_EQ(r1.request.target, "/a");
  EXPECT_EQ(r1.consumed, a.size());
  buf.erase(0, r1.consumed);
  HttpParseResult r2 = Parse(buf);
  ASSERT_EQ(r2.kind, Kind::kComplete);
  EXPECT_EQ(r2.request.target, "/b");
  EXPECT_EQ(r2.request.body, "xy");
  buf.erase(0, r2.consumed);
  EXPECT_EQ(Parse(buf).kind, Kind::kNeedMore);
}

TEST(HttpRequestTest, LeadingEmptyLinesAreSkipped) {
  const std::string req = "\r\n\r\nGET /x HTTP/1.1\r\n\r\n";
  HttpParseResult r = Parse(req);
  ASSERT_EQ(r.kind, Kind::kComplete) << r.error;
  EXPECT_EQ(r.consumed, req.size());
  EXPECT_EQ(r.request.target, "/x");
}

TEST(HttpRequestTest, KeepAliveRules) {
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").request.keep_alive);
  HttpParseResult old = Parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(old.kind, Kind::kComplete);
  EXPECT_EQ(old.request.minor_version, 0);
  EXPECT_FALSE(old.request.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
}

TEST(HttpRequestTest, MalformedRequestLines) {
  EXPECT_EQ(ErrorStatus("GET\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET /x\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET  /x HTTP/1.1\r\n\r\n"), 400);  // double space: empty target
  EXPECT_EQ(ErrorStatus("GET x HTTP/1.1\r\n\r\n"), 400);    // not origin-form
  EXPECT_EQ(ErrorStatus("GET http://h/x HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("G(T /x HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET /x HTTP/1.1 \r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET /x FTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus(std::string("GET /a\x01 HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(ErrorStatus("GET /x HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(ErrorStatus("GET /x HTTP/1.2\r\n\r\n"), 505);
}

TEST(HttpRequestTest, GarbageIsRefusedWithoutWaitingForTheCap) {
  // A complete bad first line fails before the blank line arrives.
  EXPECT_EQ(ErrorStatus("hello world\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET /x HTTP/1.1\nHost: a\n"), 400);  // bare LF
  EXPECT_EQ(ErrorStatus(std::string("GET /x\0", 7)), 400);
}

TEST(HttpRequestTest, MalformedHeaders) {
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\nName : v\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\n: v\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n"), 400);
}

TEST(HttpRequestTest, ContentLengthRules) {
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400);
  HttpParseResult same = Parse("PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz");
  ASSERT_EQ(same.kind, Kind::kComplete);
  EXPECT_EQ(same.request.body, "z");
}

TEST(HttpRequestTest, ChunkedIsRefused) {
  EXPECT_EQ(
      ErrorStatus("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
      411);
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx"),
            411);
}

TEST(HttpRequestTest, BodyCap) {
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length: " + std::to_string(kMaxBodyBytes + 1) +
                        "\r\n\r\n"),
            413);
  EXPECT_EQ(ErrorStatus("PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), 413);
  // Exactly the cap is accepted (and needs the whole body).
  const std::string head =
      "PUT / HTTP/1.1\r\nContent-Length: " + std::to_string(kMaxBodyBytes) + "\r\n\r\n";
  EXPECT_EQ(Parse(head).kind, Kind::kNeedMore);
  HttpParseResult r = Parse(head + std::string(kMaxBodyBytes, 'a'));
  ASSERT_EQ(r.kind, Kind::kComplete);
  EXPECT_EQ(r.request.body.size(), kMaxBodyBytes);
}

// A BodyLimit refuses a long body as soon as the headers are in (413), so
// the caller never buffers it; the limit sees the method and target.
TEST(HttpRequestTest, BodyLimitRefusesBeforeTheBodyArrives) {
  auto limit = [](const HttpRequest& head) -> size_t { return head.Path() == "/big" ? 100 : 2; };
  const std::string small = "PUT /small?q HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
  HttpParseResult r = ParseHttpRequest(small, limit);
  ASSERT_EQ(r.kind, Kind::kError);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error.find('\n'), std::string::npos);
  EXPECT_EQ(ParseHttpRequest("PUT /small HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", limit).kind,
            Kind::kComplete);
  EXPECT_EQ(ParseHttpRequest("PUT /big HTTP/1.1\r\nContent-Length: 100\r\n\r\n", limit).kind,
            Kind::kNeedMore);
  EXPECT_EQ(ParseHttpRequest(small).kind, Kind::kNeedMore);  // no limit: waits for the body
}

TEST(HttpRequestTest, HeaderByteCap) {
  // Headers that never end: refused once the cap is reached.
  std::string head = "GET / HTTP/1.1\r\nX: ";
  EXPECT_EQ(Parse(head + std::string(kMaxHeaderBytes - head.size() - 1, 'a')).kind,
            Kind::kNeedMore);
  EXPECT_EQ(ErrorStatus(head + std::string(kMaxHeaderBytes, 'a')), 431);
  // A header section that ends exactly at the cap is fine; one byte over is not.
  std::string fits = head + std::string(kMaxHeaderBytes - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), kMaxHeaderBytes);
  EXPECT_EQ(Parse(fits).kind, Kind::kComplete);
  std::string over = head + std::string(kMaxHeaderBytes - head.size() - 3, 'a') + "\r\n\r\n";
  EXPECT_EQ(ErrorStatus(over), 431);
  // Only empty lines, forever.
  std::string crlfs;
  for (size_t i = 0; i < kMaxHeaderBytes / 2; ++i) crlfs += "\r\n";
  EXPECT_EQ(ErrorStatus(crlfs), 431);
}

TEST(HttpRequestTest, HeaderCountCap) {
  std::string req = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i < kMaxHeaderCount; ++i) req += "H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Parse(req + "\r\n").kind, Kind::kComplete);
  EXPECT_EQ(ErrorStatus(req + "Extra: v\r\n\r\n"), 431);
}

}  // namespace
}  // namespace petrel::api
