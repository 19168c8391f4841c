// Loading a device list (`--nodes FILE`).
//
// The accepted shape is Tailscale's device-list API response, so that the
// output of `GET /api/v2/tailnet/-/devices` loads unchanged:
//
//   {"devices": [{"hostname": "web-1", "name": "web-1.example.ts.net",
//                 "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"],
//                 "user": "alice@example.com", "tags": ["tag:web"],
//                 "advertisedRoutes": ["10.0.0.0/24"],
//                 "enabledRoutes": ["10.0.0.0/24"], ...}],
//    "users": [{"name": "alice", "email": "alice@example.com",
//               "role": "admin"}]}
//
// Fields the API returns that decide nothing about access (id, nodeId, os,
// clientVersion, lastSeen, ...) are accepted and ignored, unlike in the
// policy. aclc's extensions per device: "wireguardPublicKey" (base64 of 32
// bytes) and "endpoints" (["host:port"]); and the top-level "users" list
// (roles decide autogroup:admin, autogroup:owner, ...). `null` is treated as
// an absent field, as the API sends it for empty lists.
//
// Errors (with file:line:col): wrong shapes, unparsable addresses or routes,
// two devices with one address, two devices answering to one name (hostname
// or first label of `name`; device names are selectors in the aclc dialect).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/common/diag.h"
#include "compiler/front/hujson.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"

namespace aclc {

// Parses and decodes a device list. Returns nullopt only when the text is not
// HuJSON or not an object; otherwise the inventory decoded as far as
// possible (bad devices are skipped) and the caller checks diags.
std::optional<Inventory> parse_inventory(std::string_view text,
                                         const std::string& file,
                                         Diagnostics& diags);

// Decodes an already parsed document (an object with "devices" and an
// optional "users"). Appends to diags; never throws.
Inventory decode_inventory(const hujson::Value& root, const std::string& file,
                           Diagnostics& diags);

// Decodes a "users" array into inv.users and reindexes.
void decode_users(const hujson::Value& users, const std::string& file,
                  Inventory& inv, Diagnostics& diags);

// Findings that need the policy too: a device tag that no tagOwners entry
// declares (a warning: Tailscale would not have let the tag be applied, and
// the policy cannot name it).
void check_inventory_against_policy(const Inventory& inv,
                                    const policy::Policy& pol,
                                    Diagnostics& diags);

}  // namespace aclc
