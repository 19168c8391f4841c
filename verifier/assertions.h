// Assertions: aclc's universally quantified access properties (an aclc
// extension; the Tailscale dialect rejects the section).
//
//   {"src": "tag:mobile", "deny": ["tag:prod:22", "ctmprod:22"]}
//       no device matching src reaches any of those destinations;
//   {"src": "group:admin", "accept": ["overseer:22"]}
//       every device matching src reaches all of them (every port listed);
//   {"dst": "overseer:5432", "only": ["ctmprod", "group:admin"]}
//       nothing but those sources reaches the destination.
// Optional "proto" (a name or number, as in acls); absent, `accept` means
// TCP and `deny`/`only` mean every protocol. Optional "scope": "nodes" (the
// devices of --nodes) or "symbolic" (every device that could join); the
// default is nodes when a device list is given, symbolic otherwise.
//
// They come from the policy's "assertions" section, from a HuJSON file
// (`--assert FILE`: an array, or an object with an "assertions" array) or
// from the command line (`--assert-json`: one object or an array).
// Selectors and ports are parsed with the front end's own functions;
// undefined names and malformed ports are errors at their position.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/hujson.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "verifier/encode.h"

namespace aclc::verify {

enum class AssertKind { Deny, Accept, Only };

// "tag:prod:22,80": a host selector and its ports.
struct AssertDst {
  policy::Selector host;
  std::vector<PortRange> ports;
  std::string text;  // as written
  Pos pos;
};

struct Assertion {
  AssertKind kind = AssertKind::Deny;
  std::string file;  // where it was written (policy, --assert file, or
  Pos pos;           // "<command line>"), and its opening brace
  std::optional<policy::Selector> src;     // deny / accept
  std::vector<AssertDst> dsts;             // deny / accept: the list; only: one
  std::vector<policy::Selector> only;      // only: the permitted sources
  std::optional<policy::Proto> proto;
  Scope scope = Scope::Symbolic;

  // One line, e.g. `tag:mobile deny tag:prod:22, ctmprod:22`.
  std::string describe() const;
};

// Decodes an array of assertion objects. `inv` checks device names and is
// needed for the nodes scope (`has_inventory`). Errors go to `diags` with
// `file` and the value's position; a bad assertion is skipped.
std::vector<Assertion> decode_assertions(const hujson::Value& list, const std::string& file,
                                         const policy::Policy& pol, const Inventory& inv,
                                         bool has_inventory, Diagnostics& diags);

// Parses HuJSON text (a file's contents or --assert-json) and decodes it:
// an array, an object with "assertions", or (`single_ok`) one assertion.
// Syntax errors are reported at their position in `file`.
std::vector<Assertion> parse_assertions(std::string_view text, const std::string& file,
                                        bool single_ok, const policy::Policy& pol,
                                        const Inventory& inv, bool has_inventory,
                                        Diagnostics& diags);

}  // namespace aclc::verify
