// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Tests for RouteRequest: each route, 404, 405, control errors, vm.info checks.
#include "vmm/api/api_router.h"
#include "vmm/build_info.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "vmm/api/fake_vmm_control.h"

namespace petrel::api {
namespace {

using nlohmann::json;

class ApiRouterTest : public ::testing::Test {
 protected:
  HttpResponse Call(std::string method, std::string target) {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    return RouteRequest(req, control_, identity_);
  }
  FakeVmmControl control_;
  VmmIdentity identity_{"v9.9-test", "9.9", 1234, {"kvm"}};
};

TEST_F(ApiRouterTest, Ping) {
  HttpResponse r = Call("GET", "/api/v1/vmm.ping");
  EXPECT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["build_version"], "v9.9-test");
  EXPECT_EQ(j["version"], "9.9");
  EXPECT_EQ(j["pid"], 1234);
  EXPECT_EQ(j["features"], json::array({"kvm"}));
}

TEST_F(ApiRouterTest, DefaultIdentity) {
  VmmIdentity id = DefaultVmmIdentity();
  EXPECT_FALSE(id.version.empty());
  EXPECT_EQ(id.build_version, build_info::BuildVersion());  // what --version prints
  EXPECT_EQ(id.build_version.rfind("v" + id.version, 0), 0u);
  EXPECT_EQ(id.pid, static_cast<int64_t>(getpid()));
  EXPECT_TRUE(id.features.empty());
}

TEST_F(ApiRouterTest, PutActionsCallControlAndAnswer204) {
  EXPECT_EQ(Call("PUT", "/api/v1/vm.power-button").status, 204);
  EXPECT_EQ(control_.power_button, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.shutdown").status, 204);
  EXPECT_EQ(control_.shutdown_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.reboot").status, 204);
  EXPECT_EQ(control_.reboot_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vmm.shutdown?force=1").status, 204);  // query ignored
  EXPECT_EQ(control_.shutdown_vmm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.boot").status, 204);
  EXPECT_EQ(control_.boot_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.pause").status, 204);
  EXPECT_EQ(control_.pause_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.resume").status, 204);
  EXPECT_EQ(control_.resume_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.nmi").status, 204);
  EXPECT_EQ(control_.nmi, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.delete").status, 204);
  EXPECT_EQ(control_.delete_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.resize").status, 204);
  EXPECT_EQ(control_.resize_vm, 1);
  EXPECT_EQ(Call("GET", "/api/v1/vm.resize").status, 405);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.resize-disk").status, 204);
  EXPECT_EQ(control_.resize_disk_vm, 1);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.remove-device").status, 204);
  EXPECT_EQ(control_.remove_device_vm, 1);
  EXPECT_EQ(Call("GET", "/api/v1/vm.remove-device").status, 405);
}

// CH's PUT /vm.resize-zone (VmResizeZone body): the body goes to the VMM;
// its "not supported yet" (kUnsupported) is a 500, no VM a 404, as CH.
TEST_F(ApiRouterTest, ResizeZonePassesTheBody) {
  HttpRequest req;
  req.method = "PUT";
  req.target = "/api/v1/vm.resize-zone";
  req.body = R"({"id":"mem1","desired_ram":2147483648})";
  EXPECT_EQ(RouteRequest(req, control_, identity_).status, 204);
  EXPECT_EQ(control_.resize_zone_vm, 1);
  EXPECT_EQ(control_.last_config(), req.body);
  EXPECT_EQ(control_.resize_disk_vm, 0);
  EXPECT_EQ(Call("GET", "/api/v1/vm.resize-zone").status, 405);
  EXPECT_EQ(control_.resize_zone_vm, 1);
  HttpRequest head;
  head.method = "PUT";
  head.target = "/api/v1/vm.resize-zone";
  EXPECT_EQ(MaxRequestBodyBytes(head), kMaxConfigBodyBytes);
  control_.fail = true;
  control_.error_code = ErrorCode::kUnsupported;
  HttpResponse r = RouteRequest(req, control_, identity_);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body)[1], "Error resizing the memory zone");
  control_.error_code = ErrorCode::kNotFound;
  EXPECT_EQ(RouteRequest(req, control_, identity_).status, 404);
}

TEST_F(ApiRouterTest, CreatePassesTheBodyAndNeedsOne) {
  HttpRequest req;
  req.method = "PUT";
  req.target = "/api/v1/vm.create";
  EXPECT_EQ(MaxRequestBodyBytes(req), kMaxConfigBodyBytes);
  EXPECT_EQ(RouteRequest(req, control_, identity_).status, 400);  // CH: no body -> 400
  EXPECT_EQ(control_.create_vm, 0);
  req.body = R"({"payload":{"kernel":"/k"}})";
  EXPECT_EQ(RouteRequest(req, control_, identity_).status, 204);
  EXPECT_EQ(control_.create_vm, 1);
  EXPECT_EQ(control_.last_config(), req.body);
}

TEST_F(ApiRouterTest, AddDeviceAnswersWithPciDeviceInfoOr204) {
  HttpRequest req;
  req.method = "PUT";
  for (const char* endpoint : {"vm.add-disk", "vm.add-net", "vm.add-pmem", "vm.add-vsock"}) {
    req.target = std::string("/api/v1/") + endpoint;
    EXPECT_EQ(MaxRequestBodyBytes(req), kMaxConfigBodyBytes);
    req.body = R"({"path":"/img"})";
    control_.added_json = R"({"id":"_disk1","bdf":"0000:00:06.0"})";
    HttpResponse r = RouteRequest(req, control_, identity_);
    EXPECT_EQ(r.status, 200) << endpoint;
    EXPECT_EQ(r.body, control_.added_json);
    EXPECT_EQ(control_.last_config(), req.body);
    control_.added_json.clear();  // not booted: the device joined the config
    EXPECT_EQ(RouteRequest(req, control_, identity_).status, 204);
    control_.fail = true;
    control_.error_code = ErrorCode::kAlreadyExists;  // a duplicate id
    EXPECT_EQ(RouteRequest(req, control_, identity_).status, 409);
    control_.fail = false;
  }
  EXPECT_EQ(control_.add_disk_vm, 3);
  EXPECT_EQ(control_.add_net_vm, 3);
  EXPECT_EQ(control_.add_pmem_vm, 3);
  EXPECT_EQ(control_.add_vsock_vm, 3);
}

TEST_F(ApiRouterTest, SnapshotAndRestorePassTheirBodies) {
  HttpRequest req;
  req.method = "PUT";
  for (const char* endpoint : {"vm.snapshot", "vm.restore"}) {
    req.target = std::string("/api/v1/") + endpoint;
    EXPECT_EQ(MaxRequestBodyBytes(req), kMaxConfigBodyBytes);
    req.body = std::string(R"({"x":")") + endpoint + "\"}";
    EXPECT_EQ(RouteRequest(req, control_, identity_).status, 204);
    EXPECT_EQ(control_.last_config(), req.body);
  }
  EXPECT_EQ(control_.snapshot_vm, 1);
  EXPECT_EQ(control_.restore_vm, 1);
  control_.fail = true;
  control_.error_code = ErrorCode::kInvalidArgument;
  EXPECT_EQ(RouteRequest(req, control_, identity_).status, 400);
}

TEST_F(ApiRouterTest, Counters) {
  HttpResponse r = Call("GET", "/api/v1/vm.counters");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, control_.counters_json);
  control_.counters_json = "[]";
  EXPECT_EQ(Call("GET", "/api/v1/vm.counters").status, 500);
  EXPECT_EQ(Call("PUT", "/api/v1/vm.counters").status, 405);
}

TEST_F(ApiRouterTest, VmInfo) {
  HttpResponse r = Call("GET", "/api/v1/vm.info");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, control_.info_json);
  control_.info_json = "[1,2]";
  EXPECT_EQ(Call("GET", "/api/v1/vm.info").status, 500);
  control_.info_json = "{\"state\":\"Running\"}";  // no config
  EXPECT_EQ(Call("GET", "/api/v1/vm.info").status, 500);
  control_.info_json = "{not json";
  EXPECT_EQ(Call("GET", "/api/v1/vm.info").status, 500);
}

TEST_F(ApiRouterTest, UnknownPathIs404) {
  for (const char* target : {"/", "/api/v1/", "/api/v1/vm.nope", "/api/v2/vmm.ping",
                             "/api/v1/vmm.ping/x", "/API/V1/vmm.ping"}) {
    HttpResponse r = Call("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body, "[\"Not Found\"]");
  }
}

TEST_F(ApiRouterTest, WrongMethodIs405WithAllow) {
  HttpResponse r = Call("PUT", "/api/v1/vmm.ping");
  EXPECT_EQ(r.status, 405);
  ASSERT_EQ(r.extra_headers.size(), 1u);
  EXPECT_EQ(r.extra_headers[0].first, "Allow");
  EXPECT_EQ(r.extra_headers[0].second, "GET");
  EXPECT_EQ(Call("GET", "/api/v1/vm.reboot").status, 405);
  EXPECT_EQ(Call("POST", "/api/v1/vm.shutdown").status, 405);
  EXPECT_EQ(Call("put", "/api/v1/vm.shutdown").status, 405);  // methods are case-sensitive
  EXPECT_EQ(control_.reboot_vm + control_.shutdown_vm, 0);
}

TEST_F(ApiRouterTest, NoRouteTakesMoreThanAShortIgnoredBody) {
  for (const char* target : {"/api/v1/vm.power-button", "/api/v1/vm.nope", "/nope"}) {
    for (const char* method : {"PUT", "GET"}) {
      HttpRequest head;
      head.method = method;
      head.target = target;
      EXPECT_EQ(MaxRequestBodyBytes(head), kMaxIgnoredBodyBytes) << method << " " << target;
    }
  }
}

TEST_F(ApiRouterTest, ControlErrorsMapToStatusAndChStyleBody) {
  control_.fail = true;
  HttpResponse r = Call("PUT", "/api/v1/vm.reboot");
  EXPECT_EQ(r.status, 500);
  json j = json::parse(r.body);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0], "Error from API");
  EXPECT_EQ(j[2], "injected failure");
  control_.error_code = ErrorCode::kNotFound;
  EXPECT_EQ(Call("GET", "/api/v1/vm.info").status, 404);
  control_.error_code = ErrorCode::kBusy;
  EXPECT_EQ(Call("PUT", "/api/v1/vm.power-button").status, 429);
  // Cloud Hypervisor's mapping: a config that fails validation is 400, a
  // duplicate device id 409, a request in the wrong state 500.
  control_.error_code = ErrorCode::kInvalidArgument;
  EXPECT_EQ(Call("PUT", "/api/v1/vm.boot").status, 400);
  control_.error_code = ErrorCode::kAlreadyExists;
  EXPECT_EQ(Call("PUT", "/api/v1/vm.boot").status, 409);
  control_.error_code = ErrorCode::kFailedPrecondition;
  EXPECT_EQ(Call("PUT", "/api/v1/vm.pause").status, 500);
}

}  // namespace
}  // namespace petrel::api
