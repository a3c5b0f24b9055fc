// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
// net_fds at restore (see restored_net_fds.h).
#include "vmm/config/restored_net_fds.h"

#include <algorithm>
#include <set>

#include "core/base/field_error.h"
#include "vmm/config/option_parser.h"
#include "vmm/config/request_json.h"

namespace petrel::config {
namespace {

using nlohmann::json;
using virtio::kNetStaleFd;

// "a@[1,2],b@[3]" split at the commas outside brackets.
std::vector<std::string_view> TopLevelItems(std::string_view text) {
  std::vector<std::string_view> items;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == ',' && depth == 0)) {
      items.push_back(text.substr(start, i - start));
      start = i + 1;
    } else if (text[i] == '[') {
      ++depth;
    } else if (text[i] == ']') {
      --depth;
    }
  }
  return items;
}

Result<void> CheckUniqueIds(const std::vector<RestoredNetFds>& entries) {
  std::set<std::string> seen;
  for (const RestoredNetFds& e : entries) {
    if (!seen.insert(e.id).second) return Invalid("net_fds: id '" + EscapeForMessage(e.id) + "' given twice");
  }
  return Ok();
}

}  // namespace

Result<std::vector<RestoredNetFds>> ParseRestoredNetFds(std::string_view text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    return Invalid("expected [<net id>@[<fd>,...],...]");
  }
  std::vector<RestoredNetFds> entries;
  for (std::string_view item : TopLevelItems(text.substr(1, text.size() - 2))) {
    const size_t at = item.find('@');
    if (at == 0 || at == std::string_view::npos) {
      return Invalid("'" + EscapeForMessage(item) + "': expected <net id>@[<fd>,...]");
    }
    auto fds = ParseFdList(item.substr(at + 1));
    if (!fds.ok()) return Invalid("'" + EscapeForMessage(item) + "': " + fds.error().message());
    entries.push_back({std::string(item.substr(0, at)), std::move(fds).value()});
  }
  if (Result<void> unique = CheckUniqueIds(entries); !unique.ok()) {
    return Invalid(unique.error().message().substr(std::string_view("net_fds: ").size()));
  }
  return entries;
}

Result<std::vector<RestoredNetFds>> RestoredNetFdsFromJson(const json& value) {
  std::vector<RestoredNetFds> entries;
  if (value.is_null()) return entries;
  if (!value.is_array()) return Invalid("net_fds: expected an array");
  for (size_t i = 0; i < value.size(); ++i) {
    const json& entry = value[i];
    const std::string where = "net_fds[" + std::to_string(i) + "]";
    if (!entry.is_object()) return Invalid(where + ": expected an object");
    Result<void> known = OnlyKnownFields(entry, {"id", "num_fds", "fds"}, {});
    if (!known.ok()) return Invalid(where + ": " + known.error().message());
    Result<std::string> id = StringField(entry, "id", true);
    if (!id.ok()) return Invalid(where + ": " + id.error().message());
    Result<int64_t> num_fds = IntField(entry, "num_fds", 0, 0, 256);
    if (!num_fds.ok()) return Invalid(where + ": " + num_fds.error().message());
    size_t count = static_cast<size_t>(*num_fds);
    // CH reads fd numbers in a body as -1: only the count can matter.
    if (const auto fds = entry.find("fds"); fds != entry.end() && !fds->is_null()) {
      if (!fds->is_array()) return Invalid(where + ": fds: expected an array");
      if (entry.contains("num_fds") && fds->size() != count) {
        return Invalid(where + ": num_fds=" + std::to_string(count) + " but fds has " +
                       std::to_string(fds->size()));
      }
      count = fds->size();
    }
    entries.push_back({*id, std::vector<int>(count, kNetStaleFd)});
  }
  PETREL_TRY(CheckUniqueIds(entries));
  return entries;
}

json RestoredNetFdsToJson(const std::vector<RestoredNetFds>& entries) {
  json list = json::array();
  for (const RestoredNetFds& e : entries) list.push_back({{"id", e.id}, {"num_fds", e.fds.size()}});
  return list;
}

std::vector<int> AllFds(const std::vector<RestoredNetFds>& entries) {
  std::vector<int> fds;
  for (const RestoredNetFds& e : entries) fds.insert(fds.end(), e.fds.begin(), e.fds.end());
  return fds;
}

Result<void> AttachReceivedFds(std::vector<RestoredNetFds>& entries, std::span<const int> fds) {
  const size_t wanted = AllFds(entries).size();
  if (fds.size() != wanted) {
    return Invalid("net_fds want " + std::to_string(wanted) + " fds, the request carried " +
                   std::to_string(fds.size()));
  }
  size_t next = 0;
  for (RestoredNetFds& e : entries) {
    for (int& fd : e.fds) fd = fds[next++];
  }
  return Ok();
}

Result<void> ApplyRestoredNetFds(const std::vector<RestoredNetFds>& entries, VmConfig& config) {
  std::vector<NetConfig> nets = config.nets;
  for (const RestoredNetFds& e : entries) {
    auto net = std::find_if(nets.begin(), nets.end(), [&](const NetConfig& n) { return n.id == e.id; });
    const std::string id = EscapeForMessage(e.id);
    if (net == nets.end()) return Invalid("net_fds: " + id + ": no such net in the snapshot");
    if (!net->fd_backed()) {
      return Invalid("net_fds: " + id + ": not backed by tap fds in the snapshot (" +
                     (net->tap.empty() ? std::string("its tap is created again")
                                       : "tap " + net->tap + " is reopened by name") +
                     ")");
    }
    if (e.fds.size() != net->fds->size()) {
      return Invalid("net_fds: " + id + ": " + std::to_string(e.fds.size()) +
                     " fd(s) given, the snapshot's net has " + std::to_string(net->fds->size()));
    }
    net->fds = e.fds;
    Result<void> valid = virtio::Validate(*net);
    if (!valid.ok()) return Invalid("net_fds: " + id + ": " + valid.error().message());
  }
  for (const NetConfig& net : nets) {
    if (net.fds && std::find(net.fds->begin(), net.fds->end(), kNetStaleFd) != net.fds->end()) {
      return Invalid("net_fds: net '" + net.id +
                     "' was backed by tap fds; give it new ones (net_fds=[" + net.id +
                     "@[<fd>,...]])");
    }
  }
  config.nets = std::move(nets);
  return Ok();
}

}  // namespace petrel::config
