// Fuzzes meshd's packet filter on plaintext packets as peers send them:
// the parser, then the enforcer in both directions. Beyond "never crash,
// hang or read out of bounds" it checks:
//  - a parse fails whole (nothing left behind) or yields a coherent packet:
//    a known family, no ports on a later fragment, a quoted flow only for an
//    ICMP error and of the same family;
//  - malformed packets never pass, in either direction;
//  - with no policy nothing passes inbound;
//  - a verdict's pass flag agrees with its reason;
//  - every truncation of the input parses without reading past it.
// The input is filtered twice: as the first packet of a fresh enforcer, and
// inbound again after the host sent it back reversed (reply paths).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "runtime/filter/enforcer.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace aclc;
using namespace aclc::runtime::filter;

// 100.64.0.1 and fd7a:115c:a1e0::1; tcp/udp 22 and 443 from 100.64.0.0/24
// and fd7a:115c:a1e0::/120; gre from anywhere in 100.64/10.
std::shared_ptr<const bundle::Bundle> fuzz_bundle() {
  auto b = std::make_shared<bundle::Bundle>();
  u128 self6 = u128(0xfd7a115ca1e00000ULL) << 64 | 1;
  b->device = "fuzz";
  b->addresses = {{4, 32, 0x64400001}, {6, 128, self6}};
  bundle::Zone z;
  z.dsts.v4 = {{0x64400001, 0x64400001}};
  z.dsts.v6 = {{self6, self6}};
  bundle::Cell ssh{22, 22, {{{0x64400000, 0x644000ff}}, {{self6 - 1, self6 + 254}}}};
  bundle::Cell https{443, 443, ssh.sources};
  bundle::Cell gre{0, 0, {{{0x64400000, 0x647fffff}}, {}}};
  z.classes = {bundle::ProtoClass{{6, 17, 132}, {ssh, https}}, bundle::ProtoClass{{47}, {gre}}};
  b->filter = {z};
  return b;
}

// The packet with its addresses (and ports) swapped, when it parses.
std::vector<uint8_t> reversed(std::span<const uint8_t> in, const Packet& p) {
  std::vector<uint8_t> out(in.begin(), in.end());
  if (p.flow.family == 4) {
    for (int i = 0; i < 4; ++i) std::swap(out[12 + i], out[16 + i]);
  } else {
    for (int i = 0; i < 16; ++i) std::swap(out[8 + i], out[24 + i]);
  }
  return out;
}

void check_verdict(const Verdict& v) {
  FUZZ_CHECK(v.pass == passes(v.reason), "reason %s", reason_name(v.reason));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const bundle::Bundle> kBundle = fuzz_bundle();
  std::span<const uint8_t> bytes(data, size);

  Packet p;
  bool ok = parse(bytes, p) == ParseResult::kOk;
  if (!ok) {
    FUZZ_CHECK(p.flow.family == 0 && !p.has_related, "a failed parse left a result");
  } else {
    FUZZ_CHECK(p.flow.family == 4 || p.flow.family == 6, "family %d", p.flow.family);
    if (p.later_fragment) {
      FUZZ_CHECK(p.fragment && p.flow.src_port == 0 && p.flow.dst_port == 0,
                 "later fragment with ports");
    }
    if (p.has_related) {
      FUZZ_CHECK(p.icmp == IcmpKind::kError, "quoted flow outside an ICMP error");
      FUZZ_CHECK(p.related.family == p.flow.family, "quoted flow of the other family");
    }
    if (p.flow.family == 4) FUZZ_CHECK(p.flow.src <= 0xffffffffu && p.flow.dst <= 0xffffffffu, "v4 address");
  }
  // Truncations: on the heap at their exact length, so ASan sees overreads.
  for (size_t n = 0; n < size && n < 128; ++n) {
    std::vector<uint8_t> cut(data, data + n);
    Packet q;
    (void)parse(cut, q);
  }

  EnforcerConfig cfg;
  cfg.conntrack.capacity = 8;
  cfg.conntrack.hash_seed = 1;
  Enforcer f(cfg);
  wg::Instant now(std::chrono::seconds(100));
  Verdict closed = f.inbound(bytes, now);
  check_verdict(closed);
  FUZZ_CHECK(!closed.pass, "passed inbound with no policy");

  f.install(kBundle);
  Verdict in = f.inbound(bytes, now);
  check_verdict(in);
  Verdict out = f.outbound(bytes, now);
  check_verdict(out);
  if (!ok) {
    FUZZ_CHECK(!in.pass && in.reason == Reason::kMalformed, "malformed passed inbound");
    FUZZ_CHECK(!out.pass && out.reason == Reason::kMalformed, "malformed passed outbound");
    return 0;
  }
  FUZZ_CHECK(out.pass, "outbound dropped a well-formed packet");
  // The reply to what the host just sent.
  std::vector<uint8_t> back = reversed(bytes, p);
  Verdict reply = f.inbound(back, now + std::chrono::seconds(1));
  check_verdict(reply);
  FilterStats s = f.stats();
  FUZZ_CHECK(s.tracked <= s.capacity, "conntrack over capacity");
  return 0;
}
