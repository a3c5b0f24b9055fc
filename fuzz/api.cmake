# fuzz/api.cmake: the REST API's HTTP request parser and router (vmm/api).
# The socket peer is untrusted: no crash, hang or unbounded growth.
petrel_fuzz(api_http_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/api_http_fuzz.cc DEPS petrel_api)
