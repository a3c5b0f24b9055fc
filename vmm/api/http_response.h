// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// HTTP/1.1 responses of the API server: the value type and its wire form.
//
// As Cloud Hypervisor's API (vmm/src/api/http/mod.rs):
//   - success with a body: 200 and a JSON body;
//   - success without a body: 204 No Content;
//   - failure: the status and a JSON array of strings, the error chain from
//     the outermost context to the root cause, e.g. ["Not Found"].
// Wire form (RFC 9112 section 4 status line; RFC 9110 8.6 Content-Length):
//   "HTTP/1.1 <code> <reason>\r\n" "Server: Petrel API\r\n"
//   ["Connection: close\r\n"] [extra headers]
//   "Content-Type: application/json\r\n" "Content-Length: <n>\r\n" "\r\n" body
// A 204 carries neither Content-Type nor Content-Length (RFC 9110 8.6: a
// server must not send Content-Length in a 204), so clients that stop at the
// blank line when there is no Content-Length (ch-remote does) see the end.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace petrel::api {

struct HttpResponse {
  int status = 200;
  std::string body;  // sent only when status is not 204
  std::string content_type = "application/json";
  bool close = false;  // adds "Connection: close"; the server closes after sending
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. {"Allow", "GET"}
};

// "OK", "No Content", "Not Found", ...; "Unknown" for codes not listed.
std::string_view ReasonPhrase(int status);

std::string SerializeResponse(const HttpResponse& response);

HttpResponse JsonResponse(std::string json_body);  // 200
HttpResponse NoContentResponse();                  // 204
// `messages` from outermost to root cause; the body is their JSON array.
HttpResponse ErrorResponse(int status, const std::vector<std::string>& messages);

}  // namespace petrel::api
