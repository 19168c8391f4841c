// Translation validation: the builder's tables are proved equal to the
// policy on every device, and a planted table bug is caught with a packet
// that really shows it.
#include <doctest/doctest.h>

#include "compiler/back/table_build.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/translation_validation.h"

using namespace aclc;
using aclc::testing::lower_text;
using aclc::testing::policy_with;

namespace {

const char* kDenyPolicy = R"("acls": [
    {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22,80-443", "lan:*"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
    {"action": "accept", "src": ["tag:web"], "dst": ["db:5432", "autogroup:internet:443"]},
    {"action": "deny", "src": ["*"], "dst": ["*:*"]}
  ],
  "grants": [{"src": ["tag:router"], "dst": ["tag:db"], "ip": ["udp:53", "tcp:53"]}])";

// Checks that the witness is a real disagreement, not an artefact.
void check_witness(const verify::Validation& v, const testing::Lowered& l, size_t device,
                   const std::vector<table::Zone>& zones) {
  REQUIRE(v.answer == verify::Answer::Sat);
  REQUIRE(v.mismatch);
  const verify::Mismatch& m = *v.mismatch;
  CHECK(m.policy_allows != m.table_allows);
  ir::Evaluator eval(l.prog, l.inv);
  bool policy = eval.decide(m.flow).verdict == ir::Verdict::Allow &&
                table::enforced_addresses(l.inv.devices[device]).contains(m.flow.dst);
  CHECK(policy == m.policy_allows);
  CHECK(verify::TranslationValidator::zones_allow(zones, m.flow) == m.table_allows);
}

}  // namespace

TEST_CASE("translation validation proves every device's table") {
  for (const char* rules : {kDenyPolicy, R"("acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}])",
                            R"("grants": [{"src": ["group:eng"], "dst": ["tag:web", "lan"], "ip": ["*"]}])"}) {
    auto l = lower_text(policy_with(rules));
    table::Builder builder(l.prog, l.inv);
    z3::context ctx;
    verify::Encoding enc(ctx, l.pol, l.prog, l.inv, verify::Scope::Nodes);
    verify::TranslationValidator tv(enc);
    for (size_t d = 0; d < l.inv.devices.size(); ++d) {
      table::Table t = builder.for_device(d);
      verify::Validation v = tv.validate(d, t.zones());
      CHECK_MESSAGE(v.proved(), l.inv.devices[d].hostname << ": "
                                    << (v.mismatch ? verify::describe_mismatch(
                                                         l.inv.devices[d].hostname, *v.mismatch)
                                                   : "unknown"));
    }
  }
}

TEST_CASE("translation validation: a planted bug yields a witness packet") {
  auto l = lower_text(policy_with(kDenyPolicy));
  table::Builder builder(l.prog, l.inv);
  z3::context ctx;
  verify::Encoding enc(ctx, l.pol, l.prog, l.inv, verify::Scope::Nodes);
  verify::TranslationValidator tv(enc);
  size_t web1 = size_t(l.inv.find_device("web1") - l.inv.devices.data());
  table::Table t = builder.for_device(web1);
  REQUIRE_FALSE(t.zones().empty());

  SUBCASE("a source dropped from a cell: the table denies what the policy allows") {
    auto zones = t.zones();
    table::Cell& cell = zones[0].classes[0].cells[0];
    Interval first = cell.sources.intervals(cell.sources.intervals(Family::V4).empty()
                                                ? Family::V6
                                                : Family::V4)[0];
    Family f = cell.sources.intervals(Family::V4).empty() ? Family::V6 : Family::V4;
    IPSet one;
    one.add_range(Addr(f, first.first), Addr(f, first.first));
    cell.sources -= one;
    verify::Validation v = tv.validate(web1, zones);
    check_witness(v, l, web1, zones);
    CHECK(v.mismatch->policy_allows);
    CHECK_FALSE(v.mismatch->table_allows);
    CHECK(v.mismatch->flow.src == Addr(f, first.first));
    CHECK(verify::describe_mismatch("web1", *v.mismatch).find("compiler bug") == 0);
  }
  SUBCASE("a port widened: the table allows what the policy denies") {
    auto zones = t.zones();
    auto& cells = zones[0].classes[0].cells;
    // Widen the last cell to the top port, if it is not already there.
    if (cells.back().ports.last != 65535) {
      cells.back().ports.last = 65535;
    } else {
      cells.back().ports.first = cells.back().ports.first > 0 ? cells.back().ports.first - 1 : 0;
      if (cells.size() > 1) REQUIRE(cells[cells.size() - 2].ports.last < cells.back().ports.first);
    }
    verify::Validation v = tv.validate(web1, zones);
    check_witness(v, l, web1, zones);
    CHECK(v.mismatch->table_allows);
    CHECK_FALSE(v.mismatch->policy_allows);
  }
  SUBCASE("the bob deny flattened away wrongly: bob reaches web1:22") {
    auto zones = t.zones();
    Addr bob = *parse_addr("100.64.0.20");
    bool planted = false;
    for (auto& c : zones[0].classes)
      if (c.protos.contains(6))
        for (auto& cell : c.cells)
          if (cell.ports.contains(22)) {
            cell.sources.add(bob);
            planted = true;
          }
    REQUIRE(planted);
    verify::Validation v = tv.validate(web1, zones);
    check_witness(v, l, web1, zones);
    CHECK(v.mismatch->flow.src == bob);
    CHECK(v.mismatch->flow.port == 22);
    REQUIRE(v.mismatch->deciding);
    CHECK(v.mismatch->deciding->origin_name() == "acls[0]");
  }
  // The validator's solver is reusable after a failure.
  CHECK(tv.validate(web1, t.zones()).proved());
}
