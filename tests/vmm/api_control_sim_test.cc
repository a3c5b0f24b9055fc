// VmmApiControl on a whole VmInstance on hv_sim: the REST API's VM calls
// reach the running VM (power button -> GED interrupt and event bit; reboot;
// shutdown), and answer "no VM" (404) between boots.
#include "vmm/api_control.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hv_sim/guest_script.h"
#include "hv_sim/sim_hypervisor.h"
#include "hv_sim/sim_vm.h"
#include "tests/vmm/sim_vm_fixture.h"

namespace petrel::vmm {
namespace {

config::VmConfig Config() {
  config::VmConfig c = testing::NullGuestConfig();
  c.serial = {config::OutputMode::kNull, {}};
  return c;
}

std::unique_ptr<VmInstance> MakeVm(const config::VmConfig& config) {
  auto vm = VmInstance::Create(config, testing::SimFactory(), testing::CapturingOptions());
  EXPECT_TRUE(vm.ok()) << vm.error().message();
  return vm.ok() ? std::move(vm).value() : nullptr;
}

TEST(ApiControlSimTest, PowerButtonRaisesTheGedEventTheGuestHandles) {
  const config::VmConfig config = Config();
  VmmApiControl control(config);
  auto vm = MakeVm(config);
  ASSERT_NE(vm, nullptr);
  control.SetVm(vm.get());
  // The guest's _EVT: wait for the GED interrupt (GSI 5), read the event
  // byte (power button = bit 3), then power off through the sleep register.
  // (SetScript starts counting interrupt edges, so it comes first.)
  auto* sim = sim::AsSim(&vm->hv_vm());
  ASSERT_TRUE(sim->SetScript(0, sim::ScriptBuilder()
                                    .WaitIrq(5, 1'000'000'000)
                                    .Read8(0xfeb0'0000, 0x08)
                                    .Out8(0x600, 0x34)
                                    .Advance(1'000'000'000)
                                    .Build())
                  .ok());
  ASSERT_TRUE(control.PowerButton().ok());
  auto stop = vm->Run();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->kind, StopReason::Kind::kPowerOff) << stop->detail;
  EXPECT_TRUE(sim->mismatches().empty()) << sim->mismatches().front();
  EXPECT_TRUE(sim->failures().empty()) << sim->failures().front();
  control.ClearVm("Shutdown");
}

TEST(ApiControlSimTest, RebootAndShutdownStopTheVmWithThoseReasons) {
  const config::VmConfig config = Config();
  VmmApiControl control(config);
  for (bool reboot : {true, false}) {
    auto vm = MakeVm(config);
    ASSERT_NE(vm, nullptr);
    control.SetVm(vm.get());
    ASSERT_TRUE((reboot ? control.RebootVm() : control.ShutdownVm()).ok());
    ASSERT_TRUE(
        sim::AsSim(&vm->hv_vm())->SetScript(0, sim::ScriptBuilder().Advance(1'000'000'000).Build()).ok());
    auto stop = vm->Run();
    ASSERT_TRUE(stop.ok());
    EXPECT_EQ(stop->kind, reboot ? StopReason::Kind::kReset : StopReason::Kind::kShutdown);
    control.ClearVm("Shutdown");
  }
}

TEST(ApiControlSimTest, VmCallsWithoutAVmAreNotFoundAndInfoReportsState) {
  const config::VmConfig config = Config();
  VmmApiControl control(config);
  auto r = control.PowerButton();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(control.RebootVm().error().code(), ErrorCode::kNotFound);
  auto info = control.VmInfoJson();
  ASSERT_TRUE(info.ok());
  auto json = nlohmann::json::parse(*info);
  EXPECT_EQ(json["state"], "Created");
  EXPECT_EQ(json["config"]["memory"]["size"], 64ull << 20);
  EXPECT_FALSE(control.vmm_shutdown_requested());
  ASSERT_TRUE(control.ShutdownVmm().ok());
  EXPECT_TRUE(control.vmm_shutdown_requested());
  control.WaitForVmmShutdown();  // returns at once
}

}  // namespace
}  // namespace petrel::vmm
