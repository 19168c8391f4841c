#include <doctest/doctest.h>

#include <string>

#include "compiler/front/inventory.h"
#include "compiler/front/policy_load.h"

using namespace aclc;

namespace {

std::optional<Inventory> load(const std::string& text, Diagnostics& d) {
  return parse_inventory(text, "nodes.json", d);
}

// The first error's "line:col message".
std::string first_error(const Diagnostics& d) {
  const Diagnostic* e = d.first_error();
  if (!e) return "";
  return std::to_string(e->pos.line) + ":" + std::to_string(e->pos.col) + " " + e->message;
}

}  // namespace

TEST_CASE("inventory: a device-list API response loads unchanged") {
  // The shape of GET /api/v2/tailnet/-/devices, with fields aclc ignores.
  const char* text = R"({
  "devices": [
    {
      "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"],
      "authorized": true, "blocksIncomingConnections": false,
      "clientVersion": "1.80.0-t123", "created": "2025-01-01T00:00:00Z",
      "expires": "2025-07-01T00:00:00Z", "hostname": "web-1",
      "id": "1234", "isExternal": false, "keyExpiryDisabled": true,
      "lastSeen": "2025-01-02T00:00:00Z", "machineKey": "mkey:abc",
      "name": "web-1.tail1234.ts.net", "nodeId": "nABC", "nodeKey": "nodekey:def",
      "os": "linux", "tags": ["tag:web"], "updateAvailable": false,
      "user": "alice@example.com",
      "advertisedRoutes": ["10.0.0.0/24", "0.0.0.0/0", "::/0"],
      "enabledRoutes": ["10.0.0.0/24"],
      "clientConnectivity": {"endpoints": ["1.2.3.4:41641"], "latency": {}}
    },
    {"hostname": "laptop", "name": "alice-laptop.tail1234.ts.net",
     "addresses": ["100.64.0.2"], "user": "alice@example.com", "tags": null,
     "wireguardPublicKey": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
     "endpoints": ["192.0.2.1:41641", "[2001:db8::1]:41641"]}
  ],
  "users": [{"name": "alice", "email": "alice@example.com", "role": "admin"}]
})";
  Diagnostics d;
  auto inv = load(text, d);
  REQUIRE(inv);
  CHECK_MESSAGE(!d.has_errors(), first_error(d));
  REQUIRE(inv->devices.size() == 2);
  const Device& web = inv->devices[0];
  CHECK(web.hostname == "web-1");
  CHECK(web.short_name == "web-1");
  CHECK(web.tagged());
  CHECK(web.addresses.size() == 2);
  CHECK(web.advertised_routes.size() == 3);
  CHECK(web.enabled_routes.size() == 1);
  CHECK_FALSE(web.is_exit_node());  // advertised but not approved
  const Device& laptop = inv->devices[1];
  CHECK_FALSE(laptop.tagged());
  CHECK(laptop.endpoints.size() == 2);
  CHECK(laptop.wireguard_public_key.size() == 44);
  // Look-ups by hostname, by the first label of the MagicDNS name, by address.
  CHECK(inv->find_device("laptop") == &laptop);
  CHECK(inv->find_device("alice-laptop") == &laptop);
  CHECK(inv->find_device("web-2") == nullptr);
  CHECK(inv->device_at(*parse_addr("fd7a:115c:a1e0::1")) == 0);
  CHECK(inv->device_at(*parse_addr("100.64.0.9")) == -1);
  // A tagged device has no user identity, whatever its `user` says.
  CHECK_FALSE(inv->owned_by(web, "alice@example.com"));
  CHECK(inv->owned_by(laptop, "alice@example.com"));
  CHECK(inv->owned_by(laptop, "alice@"));
  CHECK(inv->owner_role(laptop) == "admin");
  CHECK(inv->devices_of("ALICE@example.com").size() == 1);
}

TEST_CASE("inventory: wrong shapes and contradictions are errors at their position") {
  struct Bad {
    const char* text;
    const char* want;  // "line:col message" prefix
  } cases[] = {
      {"[]", "1:1 device list: expected object, got array"},
      {"{}", "1:1 device list: missing \"devices\""},
      {"{\"devices\": {}}", "1:13 devices: expected array, got object"},
      {"{\"devices\": [1]}", "1:14 devices[0]: expected object, got number"},
      {"{\"devices\": [{\"addresses\": []}]}", "1:14 devices[0]: missing \"hostname\""},
      {"{\"devices\": [\n {\"hostname\": \"a\",\n  \"addresses\": [\"100.64.0.300\"]}]}",
       "3:17 devices[0].addresses: \"100.64.0.300\" is not an IP address"},
      {"{\"devices\": [{\"hostname\": \"a\", \"addresses\": \"100.64.0.1\"}]}",
       "1:45 devices[0].addresses: expected array, got string"},
      {"{\"devices\": [{\"hostname\": \"a\", \"tags\": [\"prod\"]}]}",
       "1:41 devices[0].tags: \"prod\" is not a tag"},
      {"{\"devices\": [{\"hostname\": \"a\", \"enabledRoutes\": [\"10.0.0.1/8\"]}]}",
       "1:50 devices[0].enabledRoutes: \"10.0.0.1/8\" has host bits set"},
      {"{\"devices\": [{\"hostname\": \"a\", \"wireguardPublicKey\": \"abc\"}]}",
       "1:54 devices[0].wireguardPublicKey: not the base64 of a 32-byte key"},
      {"{\"devices\": [{\"hostname\": \"a\", \"endpoints\": [\"1.2.3.4\"]}]}",
       "1:46 devices[0].endpoints: \"1.2.3.4\" is not \"host:port\""},
      {"{\"devices\": [{\"hostname\": \"a\", \"addresses\": [\"100.64.0.1\"]},\n"
       "  {\"hostname\": \"b\", \"addresses\": [\"100.64.0.1\"]}]}",
       "2:3 devices[1] \"b\": address 100.64.0.1 is already held by \"a\" at nodes.json:1:14"},
      {"{\"devices\": [{\"hostname\": \"a\"},\n  {\"hostname\": \"a\"}]}",
       "2:3 devices[1]: device name \"a\" is already used by the device at nodes.json:1:14"},
      {"{\"devices\": [{\"hostname\": \"a\"},\n  {\"hostname\": \"b\", \"name\": \"a.ts.net\"}]}",
       "2:3 devices[1]: device name \"a\" is already used"},
      {"{\"devices\": [], \"users\": [{\"role\": \"admin\"}]}",
       "1:27 users[0]: a user needs a \"name\" or an \"email\""},
      {"{\"devices\": [\n", "2:1 "},  // a syntax error, with the parser's wording
  };
  for (const Bad& b : cases) {
    CAPTURE(b.text);
    Diagnostics d;
    load(b.text, d);
    REQUIRE(d.has_errors());
    CHECK(d.first_error()->file == "nodes.json");
    std::string got = first_error(d);
    CHECK_MESSAGE(got.rfind(b.want, 0) == 0, got);
  }
}

TEST_CASE("inventory: a device tag no tagOwners entry declares is a warning") {
  Diagnostics d;
  auto inv = load(R"({"devices": [{"hostname": "a", "tags": ["tag:web", "tag:db"]}]})", d);
  REQUIRE(inv);
  policy::LoadOptions opts;
  auto pol = policy::parse_policy(R"({"tagOwners": {"tag:web": []}, "acls": []})", "policy.hujson",
                                  opts, d);
  REQUIRE(pol);
  REQUIRE_FALSE(d.has_errors());
  check_inventory_against_policy(*inv, *pol, d);
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].severity == Severity::Warning);
  CHECK(d.items()[0].pos.line == 1);
  CHECK(d.items()[0].pos.col == 14);
  CHECK(d.items()[0].message.find("tag:db") != std::string::npos);
}
