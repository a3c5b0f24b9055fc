// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for HttpResponse formatting: exact wire bytes.
#include "vmm/api/http_response.h"

#include <gtest/gtest.h>

namespace petrel::api {
namespace {

TEST(HttpResponseTest, JsonBody) {
  EXPECT_EQ(SerializeResponse(JsonResponse("{\"a\":1}")),
            "HTTP/1.1 200 OK\r\nServer: Petrel API\r\nContent-Type: application/json\r\n"
            "Content-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(HttpResponseTest, NoContentHasNoLengthOrType) {
  EXPECT_EQ(SerializeResponse(NoContentResponse()),
            "HTTP/1.1 204 No Content\r\nServer: Petrel API\r\n\r\n");
  HttpResponse odd = NoContentResponse();
  odd.body = "ignored";
  EXPECT_EQ(SerializeResponse(odd).find("ignored"), std::string::npos);
}

TEST(HttpResponseTest, ErrorBodyIsChStyleArray) {
  HttpResponse r = ErrorResponse(404, {"Not Found"});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "[\"Not Found\"]");
  r.close = true;
  r.extra_headers.emplace_back("Allow", "GET");
  EXPECT_EQ(SerializeResponse(r),
            "HTTP/1.1 404 Not Found\r\nServer: Petrel API\r\nConnection: close\r\nAllow: GET\r\n"
            "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n[\"Not Found\"]");
}

TEST(HttpResponseTest, ErrorMessagesAreEscapedAndInvalidUtf8Replaced) {
  HttpResponse r = ErrorResponse(400, {"a\"b\n", std::string("\xff")});
  EXPECT_EQ(r.body, "[\"a\\\"b\\n\",\"\xEF\xBF\xBD\"]");
}

TEST(HttpResponseTest, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(405), "Method Not Allowed");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(500), "Internal Server Error");
  EXPECT_EQ(ReasonPhrase(299), "Unknown");
}

}  // namespace
}  // namespace petrel::api
