// Tests for VmmApiControl without a VM: what vm.info reports from the
// configuration, through the real router, whatever bytes the configuration
// holds.
#include "vmm/api_control.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vmm/api/api_router.h"

namespace petrel::vmm {
namespace {

using nlohmann::json;

api::HttpResponse GetVmInfo(VmmApiControl& control) {
  api::HttpRequest request;
  request.method = "GET";
  request.target = "/api/v1/vm.info";
  return api::RouteRequest(request, control, api::DefaultVmmIdentity());
}

TEST(VmmApiControlTest, VmInfoWithoutVmReportsConfigAndState) {
  config::VmConfig config;
  config.payload.kernel = "/k";
  config.payload.cmdline = "console=ttyS0";
  VmmApiControl control(config);
  api::HttpResponse r = GetVmInfo(control);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["state"], "Created");
  EXPECT_EQ(j["config"]["payload"]["kernel"], "/k");
  EXPECT_EQ(j["config"]["payload"]["cmdline"], "console=ttyS0");
}

// Regression (issue 8): the CLI accepts any bytes in paths and the command
// line; vm.info used to serialise them in strict UTF-8 mode, and the
// exception it threw ended the process.
TEST(VmmApiControlTest, VmInfoWithInvalidUtf8InConfigIsValidJson) {
  config::VmConfig config;
  config.payload.kernel = "/boot/vmlinuz-\xE9";
  config.payload.initramfs = "/boot/initrd-\xFF\xFE";
  config.payload.cmdline = "console=ttyS0 x=\xE9 y=\xC3";  // a lone byte, a truncated sequence
  VmmApiControl control(config);
  api::HttpResponse r = GetVmInfo(control);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(json::accept(r.body)) << r.body;  // accept() also checks UTF-8
  json j = json::parse(r.body);
  EXPECT_EQ(j["config"]["payload"]["kernel"], "/boot/vmlinuz-\uFFFD");
  EXPECT_EQ(j["config"]["payload"]["cmdline"], "console=ttyS0 x=\uFFFD y=\uFFFD");
}

}  // namespace
}  // namespace petrel::vmm
