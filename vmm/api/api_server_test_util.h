// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// Test fixture for the API server: a temp dir, an EpollEventLoop running on
// its own thread, a FakeVmmControl and a server on <dir>/api.sock.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/event/epoll_event_loop.h"
#include "vmm/api/api_server.h"
#include "vmm/api/fake_vmm_control.h"

namespace petrel::api {

class ApiServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/petrel-api-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_ = dir_ + "/api.sock";
    auto loop = EpollEventLoop::Create(clock_);
    ASSERT_TRUE(loop.ok()) << loop.error().message();
    loop_ = std::move(*loop);
  }
  void TearDown() override {
    StopLoop();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Creates the server on socket_ and starts the loop thread.
  void StartServer(ApiServerOptions options = {}) {
    auto server = ApiServer::Listen(*loop_, clock_, control_, socket_, std::move(options));
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(*server);
    StartLoop();
  }
  void StartLoop() {
    thread_ = std::thread([this] { ASSERT_TRUE(loop_->Run().ok()); });
  }
  void StopLoop() {
    if (!thread_.joinable()) return;
    loop_->Stop();
    thread_.join();
  }
  // Runs `fn` on the loop thread and waits for its result.
  template <class Fn>
  auto OnLoop(Fn fn) {
    using T = decltype(fn());
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    EXPECT_TRUE(loop_->Post([promise, fn] { promise->set_value(fn()); }).ok());
    return future.get();
  }
  size_t Connections() {
    return OnLoop([this] { return server_->connection_count(); });
  }
  // Waits (up to ~5 s) for the server to hold `n` connections.
  bool WaitForConnections(size_t n) {
    for (int i = 0; i < 500; ++i) {
      if (Connections() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  MonotonicClock clock_;
  std::unique_ptr<EpollEventLoop> loop_;
  FakeVmmControl control_;
  std::unique_ptr<ApiServer> server_;  // destroyed after the loop thread stops
  std::thread thread_;
  std::string dir_, socket_;
};

}  // namespace petrel::api
