// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// The shared snapshot test every device family instantiates.
//
// For each device (a Traits type: Make(), Drive(dev), Observe(dev),
// Invalid(state)): drive it into a non-trivial state, Save, Restore into a
// fresh instance, Save again and compare; the restored device must also behave
// like the original (Observe). Restore must reject every state in Invalid()
// and leave the device unchanged.
//
//   using MyTraits = ::testing::Types<SerialTraits, ...>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(Legacy, DeviceStateTest, MyTraits);
#pragma once

#include <gtest/gtest.h>

namespace petrel::testing {

template <class Traits>
class DeviceStateTest : public ::testing::Test {
 protected:
  Traits traits_;
};

TYPED_TEST_SUITE_P(DeviceStateTest);

TYPED_TEST_P(DeviceStateTest, SaveRestoreSaveIsIdentity) {
  auto& t = this->traits_;
  auto original = t.Make();
  t.Drive(*original);
  const auto saved = original->Save();
  EXPECT_FALSE(saved == t.Make()->Save()) << "Drive() must leave a non-default state";

  auto restored = t.Make();
  ASSERT_TRUE(restored->Restore(saved).ok());
  EXPECT_TRUE(restored->Save() == saved);
  EXPECT_EQ(t.Observe(*original), t.Observe(*restored));
}

TYPED_TEST_P(DeviceStateTest, RestoreRejectsInvalidStatesAndKeepsOldOne) {
  auto& t = this->traits_;
  auto source = t.Make();
  t.Drive(*source);
  const auto invalid = t.Invalid(source->Save());
  for (size_t i = 0; i < invalid.size(); ++i) {
    auto dev = t.Make();
    const auto before = dev->Save();
    EXPECT_FALSE(dev->Restore(invalid[i]).ok()) << "invalid state #" << i << " accepted";
    EXPECT_TRUE(dev->Save() == before) << "state #" << i;
  }
}

REGISTER_TYPED_TEST_SUITE_P(DeviceStateTest, SaveRestoreSaveIsIdentity,
                            RestoreRejectsInvalidStatesAndKeepsOldOne);

}  // namespace petrel::testing
