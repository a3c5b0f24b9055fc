// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// HttpResponse formatting (see http_response.h).
#include "vmm/api/http_response.h"

#include <nlohmann/json.hpp>

#include "vmm/api/json_text.h"

namespace petrel::api {

std::string_view ReasonPhrase(int status) {
  // RFC 9110 section 15.
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";  // RFC 6585 section 5
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string SerializeResponse(const HttpResponse& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out += ReasonPhrase(response.status);
  out += "\r\nServer: Petrel API\r\n";
  if (response.close) out += "Connection: close\r\n";
  for (const auto& [name, value] : response.extra_headers) out += name + ": " + value + "\r\n";
  if (response.status != 204) {
    out += "Content-Type: " + response.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
    out += response.body;
  } else {
    out += "\r\n";
  }
  return out;
}

HttpResponse JsonResponse(std::string json_body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(json_body);
  return r;
}

HttpResponse NoContentResponse() {
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse ErrorResponse(int status, const std::vector<std::string>& messages) {
  HttpResponse r;
  r.status = status;
  // Messages may carry bytes from the request; invalid UTF-8 is replaced, not thrown.
  r.body = JsonText(nlohmann::json(messages));
  return r;
}

}  // namespace petrel::api
