// Z3's encoding against the reference evaluator, on random packets.
//
// Asking Z3 one packet at a time is too slow for 10^6 packets, so the test
// asks about random *cubes* (a src prefix x a dst prefix x one protocol x a
// port range): when Z3 proves that every packet of the cube gets the same
// verdict (one of `cube & allowed`, `cube & !allowed` is UNSAT), every
// packet sampled from the cube has a verdict from Z3's semantics, and decide
// must give it too. Mixed cubes contribute Z3's two witnesses (one allowed,
// one denied), each checked by decide. Cubes are centred on interesting
// addresses (devices, routes, hosts) so that both kinds occur.
#include <doctest/doctest.h>

#include <random>

#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"
#include "compiler/ir/evaluate.h"
#include "tests/conformance/case.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/encode.h"

using namespace aclc;
using verify::Answer;
using verify::Encoding;
using verify::Scope;
using verify::Side;

namespace {

struct Tally {
  size_t packets = 0;       // packets whose Z3 verdict decide confirmed
  size_t uniform_cubes = 0;
  size_t mixed_cubes = 0;
  size_t disagreements = 0;
};

class CubeChecker {
 public:
  CubeChecker(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
              uint32_t seed)
      : prog_(prog), inv_(inv), ev_(prog, inv), enc_(ctx_, pol, prog, inv, Scope::Nodes),
        solver_(verify::make_solver(ctx_)), allowed_(ctx_.bool_const("allowed-lit")),
        rng_(seed) {
    solver_.add(allowed_ == enc_.allowed());
    for (const Device& d : inv.devices) {
      centres_.insert(centres_.end(), d.addresses.begin(), d.addresses.end());
      for (const Prefix& p : d.enabled_routes) centres_.push_back(p.first());
    }
    for (const ir::Rule& r : prog.rules) {
      for (const ir::DstGroup& g : r.dst) {
        for (const ir::Target& t : g.targets) {
          for (const IPRange& x : t.addrs.ranges()) {
            if (centres_.size() < 4000) centres_.push_back(x.first);
          }
        }
      }
    }
    centres_.push_back(*parse_addr("100.64.0.1"));
    centres_.push_back(*parse_addr("fd7a:115c:a1e0::1"));
  }

  // One cube; adds to the tally. `samples`: packets per uniform cube.
  void run_cube(Tally& t, size_t samples) {
    Family fam = rng_() % 5 == 0 ? Family::V6 : Family::V4;
    Prefix src = random_prefix(fam), dst = random_prefix(fam);
    uint8_t proto = random_proto();
    PortRange ports = random_ports();
    IPSet s, d;
    s.add(src);
    d.add(dst);
    z3::expr_vector cube(ctx_);
    cube.push_back(enc_.in_set(s, Side::Src));
    cube.push_back(enc_.in_set(d, Side::Dst));
    cube.push_back(enc_.proto() == ctx_.bv_val(proto, 8));
    cube.push_back(enc_.port_in(std::span<const PortRange>(&ports, 1)));
    cube.push_back(allowed_);
    Answer some_allowed = verify::check(solver_, cube);
    std::optional<ir::Flow> allowed_witness;
    if (some_allowed == Answer::Sat) allowed_witness = enc_.flow(solver_.get_model());
    cube.pop_back();
    cube.push_back(!allowed_);
    Answer some_denied = verify::check(solver_, cube);
    std::optional<ir::Flow> denied_witness;
    if (some_denied == Answer::Sat) denied_witness = enc_.flow(solver_.get_model());
    REQUIRE(some_allowed != Answer::Unknown);
    REQUIRE(some_denied != Answer::Unknown);
    REQUIRE((some_allowed == Answer::Sat || some_denied == Answer::Sat));
    auto confirm = [&](const ir::Flow& f, bool z3_allows) {
      bool ref = ev_.decide(f).verdict == ir::Verdict::Allow;
      if (ref != z3_allows) {
        ++t.disagreements;
        MESSAGE("disagreement: ", to_string(f.src), " -> ", to_string(f.dst), " proto ",
                int(f.proto), " port ", f.port, ": Z3 ", z3_allows ? "allows" : "denies");
      } else {
        ++t.packets;
      }
    };
    if (allowed_witness) confirm(*allowed_witness, true);
    if (denied_witness) confirm(*denied_witness, false);
    if (allowed_witness && denied_witness) {
      ++t.mixed_cubes;
      return;
    }
    ++t.uniform_cubes;
    const bool verdict = allowed_witness.has_value();
    for (size_t i = 0; i < samples; ++i) {
      ir::Flow f{sample(src), sample(dst), proto,
                 static_cast<uint16_t>(ports.first + rng_() % (ports.last - ports.first + 1u))};
      confirm(f, verdict);
    }
  }

 private:
  Prefix random_prefix(Family fam) {
    const int width = family_bits(fam);
    Addr centre;
    std::vector<Addr> same;
    for (int tries = 0; tries < 8; ++tries) {
      const Addr& c = centres_[rng_() % centres_.size()];
      if (c.family == fam) {
        centre = c;
        break;
      }
    }
    if (centre.family != fam || rng_() % 8 == 0) centre = random_addr(fam);
    static const int kV4[] = {32, 32, 32, 31, 30, 28, 24, 20, 16, 10, 8, 0};
    static const int kV6[] = {128, 128, 128, 127, 120, 112, 64, 48, 32, 3, 0};
    int bits = fam == Family::V4 ? kV4[rng_() % std::size(kV4)] : kV6[rng_() % std::size(kV6)];
    (void)width;
    return Prefix{centre, bits}.masked();
  }

  Addr random_addr(Family fam) {
    u128 v = (static_cast<u128>(rng64()) << 64) | rng64();
    if (fam == Family::V4) v &= 0xffffffffu;
    return Addr(fam, v);
  }

  Addr sample(const Prefix& p) {
    const int width = family_bits(p.family());
    if (p.bits == width) return p.addr;
    u128 host_mask = (p.bits == 0 && width == 128) ? ~u128{0}
                                                    : ((u128{1} << (width - p.bits)) - 1);
    u128 r = (static_cast<u128>(rng64()) << 64) | rng64();
    return Addr(p.family(), (p.addr.value & ~host_mask) | (r & host_mask));
  }

  uint64_t rng64() { return (static_cast<uint64_t>(rng_()) << 32) | rng_(); }

  uint8_t random_proto() {
    static const uint8_t kProtos[] = {6, 6, 6, 17, 17, 1, 58, 132, 47};
    if (rng_() % 16 == 0) return static_cast<uint8_t>(rng_() % 256);
    return kProtos[rng_() % std::size(kProtos)];
  }

  PortRange random_ports() {
    static const uint16_t kPorts[] = {22, 53, 80, 443, 3000, 5432, 6379, 8080, 0, 65535, 1, 1000};
    uint16_t p = kPorts[rng_() % std::size(kPorts)];
    if (rng_() % 4 == 0) p = static_cast<uint16_t>(rng_() % 65536);
    switch (rng_() % 4) {
      case 0:
        return PortRange{p, p};
      case 1: {
        uint16_t mask = static_cast<uint16_t>((1u << (rng_() % 8)) - 1);
        return PortRange{static_cast<uint16_t>(p & ~mask), static_cast<uint16_t>(p | mask)};
      }
      case 2:
        return PortRange::all();
      default: {
        uint16_t mask = static_cast<uint16_t>((1u << (rng_() % 16)) - 1);
        return PortRange{static_cast<uint16_t>(p & ~mask), static_cast<uint16_t>(p | mask)};
      }
    }
  }

  const ir::Program& prog_;
  const Inventory& inv_;
  ir::Evaluator ev_;
  z3::context ctx_;
  Encoding enc_;
  z3::solver solver_;
  z3::expr allowed_;
  std::mt19937 rng_;
  std::vector<Addr> centres_;
};

// A random aclc policy over the shared test tailnet: accept and deny acls,
// grants, every selector kind.
std::string random_policy(std::mt19937& rng) {
  static const char* kSrc[] = {"*", "group:eng", "tag:web", "tag:db", "alice@example.com",
                               "bob@example.org", "autogroup:member", "autogroup:tagged",
                               "10.1.0.0/24", "db", "ipset:office", "web1", "100.64.0.0/28",
                               "autogroup:admin", "alaptop", "user:*@example.com",
                               "fd7a:115c:a1e0::/120"};
  static const char* kDst[] = {"*", "group:eng", "tag:web", "tag:db", "alice@example.com",
                               "bob@example.org", "autogroup:member", "autogroup:tagged",
                               "10.1.0.0/24", "db", "ipset:office", "web1", "100.64.0.0/28",
                               "autogroup:self", "autogroup:internet", "lan", "tag:router",
                               "100.64.0.8/29"};
  static const char* kPorts[] = {"*", "22", "80,443", "1000-2000", "5432", "1-1023", "53"};
  static const char* kProto[] = {"", "", "", "tcp", "udp", "icmp", "17", "sctp"};
  auto pick = [&](auto& arr) { return std::string(arr[rng() % std::size(arr)]); };
  std::string acls;
  int n = 1 + static_cast<int>(rng() % 7);
  for (int i = 0; i < n; ++i) {
    static const char* kPeople[] = {"group:eng", "alice@example.com", "bob@example.org",
                                    "autogroup:member"};
    std::string src, dst;
    bool self = false;
    for (int k = 0, m = 1 + static_cast<int>(rng() % 3); k < m; ++k) {
      std::string host = pick(kDst);
      self = self || host == "autogroup:self";
      dst += (k ? ", " : "") + ("\"" + host + ":" + pick(kPorts) + "\"");
    }
    // autogroup:self takes people as sources only.
    for (int k = 0, m = 1 + static_cast<int>(rng() % 2); k < m; ++k) {
      src += (k ? ", " : "") + ("\"" + (self ? pick(kPeople) : pick(kSrc)) + "\"");
    }
    std::string proto = pick(kProto);
    acls += std::string(i ? ",\n" : "") + "{\"action\": \"" + (rng() % 3 == 0 ? "deny" : "accept") +
            "\", \"src\": [" + src + "], \"dst\": [" + dst + "]" +
            (proto.empty() ? "" : ", \"proto\": \"" + proto + "\"") + "}";
  }
  std::string grants;
  int g = static_cast<int>(rng() % 3);
  for (int i = 0; i < g; ++i) {
    std::string ip = rng() % 2 ? "\"tcp:443\", \"udp:53\"" : "\"*\"";
    std::string via = rng() % 4 == 0 ? ", \"via\": [\"tag:exit\"]" : "";
    grants += std::string(i ? ",\n" : "") + "{\"src\": [\"" + pick(kSrc) + "\"], \"dst\": [\"" +
              pick(kDst) + "\"], \"ip\": [" + ip + "]" + via + "}";
  }
  return testing::policy_with("\"acls\": [" + acls + "],\n\"grants\": [" + grants + "]");
}

}  // namespace

TEST_CASE("verifier property: Z3 and decide agree on >= 10^6 random packets") {
  Tally tally;
  size_t policies = 0;

  // Every conformance policy that Tailscale accepted.
  std::vector<conformance::Case> cases;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes", "policytest"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c, err);
    if (c->code != 200 || !c->policy || c->diags.has_errors()) continue;
    cases.push_back(std::move(*c));
  }
  REQUIRE(cases.size() > 100);
  uint32_t seed = 1;
  for (conformance::Case& c : cases) {
    c.inventory.reindex();
    ir::Program prog = lower(*c.policy, c.inventory);
    CubeChecker checker(*c.policy, prog, c.inventory, seed++);
    for (int i = 0; i < 40; ++i) checker.run_cube(tally, 160);
    ++policies;
  }

  // Random aclc policies (deny rules, grants, every selector kind).
  std::mt19937 rng(20261124);
  Diagnostics d;
  auto inv = parse_inventory(testing::kTailnet, "nodes.json", d);
  REQUIRE(inv);
  size_t random_ok = 0;
  for (int i = 0; i < 120; ++i) {
    std::string text = random_policy(rng);
    Diagnostics pd;
    auto pol = policy::parse_policy(text, "random.hujson", policy::LoadOptions{}, pd);
    if (!pol || pd.has_errors()) continue;
    ++random_ok;
    ir::Program prog = lower(*pol, *inv);
    CubeChecker checker(*pol, prog, *inv, seed++);
    for (int k = 0; k < 60; ++k) checker.run_cube(tally, 160);
    ++policies;
  }
  CHECK(random_ok > 80);

  MESSAGE("policies ", policies, ", packets ", tally.packets, ", uniform cubes ",
          tally.uniform_cubes, ", mixed cubes ", tally.mixed_cubes);
  CHECK(tally.disagreements == 0);
  CHECK(tally.packets >= 1000000);
  // Both kinds of cube occur, so both verdicts were exercised.
  CHECK(tally.mixed_cubes > 100);
  CHECK(tally.uniform_cubes > 1000);
}
