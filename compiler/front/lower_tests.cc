#include "compiler/front/lower_tests.h"

#include <algorithm>
#include <optional>

#include "compiler/front/ports.h"
#include "compiler/front/proto.h"
#include "compiler/front/resolve.h"
#include "compiler/front/selector.h"

namespace aclc {

using policy::Selector;
using policy::SelectorKind;

namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool is_role(const std::string& name) {
  return name == "admin" || name == "owner" || name == "it-admin" || name == "network-admin" ||
         name == "billing-admin" || name == "auditor";
}

// What a test selector names: devices, or one bare address; or why nothing.
struct Named {
  std::vector<size_t> devices;
  std::optional<Addr> addr;
  std::string error;
};

class TestResolver {
 public:
  TestResolver(const policy::Policy& pol, const Inventory& inv)
      : pol_(pol), inv_(inv), res_(pol, inv) {}

  // A src, or a host of a "host:port" (`self_user`: the test src when it is
  // a user, for autogroup:self; `ssh_dst`: sshTests dst rules).
  Named resolve(const Selector& s, const Selector* src, bool ssh_dst) const {
    Named n;
    switch (s.kind) {
      case SelectorKind::Wildcard:
        n.error = quoted(s.text) + " is not a single host: name a tag, user, group or IP";
        return n;
      case SelectorKind::Prefix:
        if (!s.prefix.is_single_addr() || s.text.find('/') != std::string::npos) {
          n.error = quoted(s.text) + " is a CIDR: a test names individual addresses";
          return n;
        }
        return address(s.text, s.prefix.addr, ssh_dst);
      case SelectorKind::Range:
      case SelectorKind::IPSet:
        n.error = quoted(s.text) + " is not an individual address";
        return n;
      case SelectorKind::Posture:
        n.error = quoted(s.text) + " is not a host";
        return n;
      case SelectorKind::Name: {
        if (const policy::Host* h = pol_.find_host(s.name)) {
          auto a = parse_addr(h->value.text);
          if (!a) {
            n.error = "host " + quoted(s.name) + " is " + quoted(h->value.text) +
                      ", a CIDR: a test names individual addresses";
            return n;
          }
          return address(s.text, *a, ssh_dst);
        }
        if (pol_.dialect == Dialect::Aclc) {
          if (const Device* d = inv_.find_device(s.name)) {
            n.devices.push_back(static_cast<size_t>(d - inv_.devices.data()));
            return n;
          }
        }
        n.error = "host " + quoted(s.name) + " is not defined";
        return n;
      }
      case SelectorKind::Tag:
        if (!pol_.find_tag(s.name)) {
          n.error = "tag not found: " + quoted(s.name);
          return n;
        }
        break;
      case SelectorKind::Group:
        if (!pol_.find_group(s.name)) {
          n.error = "group not found: " + quoted(s.name);
          return n;
        }
        break;
      case SelectorKind::Autogroup:
        if (s.name == "self") {
          if (!src) {
            n.error = "autogroup:self cannot be a test src";
            return n;
          }
          if (src->kind != SelectorKind::User) {
            n.error = "autogroup:self needs a user as the test src, not " + quoted(src->text);
            return n;
          }
          n.devices = res_.devices(*src);
          if (n.devices.empty()) n.error = quoted(src->text) + " has no devices";
          return n;
        }
        if (s.name != "member" && s.name != "members" && s.name != "tagged" && !is_role(s.name)) {
          n.error = quoted(s.text) + " cannot be used in a test";
          return n;
        }
        break;
      case SelectorKind::User:
      case SelectorKind::UserDomain:
        break;
    }
    n.devices = res_.devices(s);
    if (n.devices.empty()) {
      n.error = "no associated IPs for " + quoted(s.text) +
                " (check spelling, or they may not have an approved machine)";
    }
    return n;
  }

  const Inventory& inv() const { return inv_; }

 private:
  Named address(const std::string& text, const Addr& a, bool ssh_dst) const {
    Named n;
    int dev = inv_.device_at(a);
    if (ssh_dst) {
      if (a.is_v6()) {
        n.error = quoted(text) +
                  ": an SSH test cannot name a device by its IPv6 address; use its tag, "
                  "user or IPv4 address";
        return n;
      }
      if (dev < 0) {
        n.error = quoted(text) + " is not the address of a device";
        return n;
      }
      n.devices.push_back(static_cast<size_t>(dev));
      return n;
    }
    n.addr = a;
    return n;
  }

  const policy::Policy& pol_;
  const Inventory& inv_;
  Resolver res_;
};

void add_addresses(const Inventory& inv, const Named& n, std::vector<ir::TestAddr>& out) {
  if (n.addr) out.push_back({*n.addr, inv.device_at(*n.addr)});
  for (size_t d : n.devices) {
    for (const Addr& a : inv.devices[d].addresses) out.push_back({a, static_cast<int>(d)});
  }
}

// Resolves a test's src; sets `error` or fills `srcs`. Returns the
// classified selector (for autogroup:self) when it is usable.
std::optional<Selector> resolve_src(const TestResolver& tr,
                                    const std::optional<policy::Str>& src,
                                    std::string& error, std::vector<ir::TestAddr>& srcs) {
  if (!src || src->text.empty()) {
    error = "test has no src";
    return std::nullopt;
  }
  std::string err;
  auto sel = policy::classify_selector(src->text, src->pos, &err);
  if (!sel) {
    error = "src " + err;
    return std::nullopt;
  }
  if (sel->kind == SelectorKind::Autogroup && sel->name == "self") {
    error = "\"autogroup:self\" not valid on the src side of a test";
    return std::nullopt;
  }
  Named n = tr.resolve(*sel, nullptr, false);
  if (!n.error.empty()) {
    error = "src " + n.error;
    return std::nullopt;
  }
  add_addresses(tr.inv(), n, srcs);
  if (srcs.empty()) error = "src " + quoted(src->text) + " has no addresses";
  return sel;
}

void lower_entry(const TestResolver& tr, const policy::Str& e, bool want_accept,
                 const Selector* src, ir::AclTestCase& t) {
  ir::AclTestEntry entry;
  entry.text = e.text;
  entry.pos = e.pos;
  entry.want_accept = want_accept;
  std::string err;
  auto hp = policy::split_host_ports(e.text, &err);
  if (!hp) {
    entry.error = err;
    t.entries.push_back(std::move(entry));
    return;
  }
  auto port = policy::parse_single_port(hp->ports);
  if (!port) {
    entry.error = "port " + quoted(hp->ports) +
                  " is not a single port number (a test names one port, 0-65535)";
    t.entries.push_back(std::move(entry));
    return;
  }
  entry.port = *port;
  std::string host(hp->host);
  auto sel = policy::classify_selector(host, e.pos, &err);
  if (!sel) {
    entry.error = err;
    t.entries.push_back(std::move(entry));
    return;
  }
  if (sel->kind == SelectorKind::Prefix && sel->prefix.addr.is_v6() && host.front() != '[') {
    entry.error = "an IPv6 address in a test is written in brackets: \"[" + host + "]:" +
                  std::string(hp->ports) + "\"";
    t.entries.push_back(std::move(entry));
    return;
  }
  Named n = tr.resolve(*sel, src, false);
  if (!n.error.empty()) {
    entry.error = n.error;
  } else {
    add_addresses(tr.inv(), n, entry.dsts);
  }
  t.entries.push_back(std::move(entry));
}

ir::AclTestCase lower_acl_test(const TestResolver& tr, const policy::AclTest& pt, size_t index) {
  ir::AclTestCase t;
  t.index = index;
  t.pos = pt.pos;
  if (pt.src) {
    t.src = pt.src->text;
    t.src_pos = pt.src->pos;
  } else {
    t.src_pos = pt.pos;
  }
  auto sel = resolve_src(tr, pt.src, t.error, t.srcs);
  if (pt.proto && !pt.proto->text.empty()) {
    t.proto_text = pt.proto->text;
    std::string err;
    auto p = policy::parse_proto_number(pt.proto->text, &err);
    if (p) {
      t.protos.push_back(*p);
    } else if (t.error.empty()) {
      t.error = err;
    }
  } else {
    t.protos = {6, 17};
  }
  if (pt.accept.empty() && pt.deny.empty() && t.error.empty()) {
    t.error = "test has neither accept nor deny";
  }
  const Selector* src = sel ? &*sel : nullptr;
  for (const policy::Str& e : pt.accept) lower_entry(tr, e, true, src, t);
  for (const policy::Str& e : pt.deny) lower_entry(tr, e, false, src, t);
  return t;
}

ir::SshTestCase lower_ssh_test(const TestResolver& tr, const policy::SshTest& pt,
                               size_t index) {
  ir::SshTestCase t;
  t.index = index;
  t.pos = pt.pos;
  if (pt.src) {
    t.src = pt.src->text;
    t.src_pos = pt.src->pos;
  } else {
    t.src_pos = pt.pos;
  }
  auto sel = resolve_src(tr, pt.src, t.error, t.srcs);
  const Selector* src = sel ? &*sel : nullptr;
  if (pt.dst.empty() && t.error.empty()) t.error = "test has no dst";
  for (const policy::Str& d : pt.dst) {
    ir::SshTestDst dst;
    dst.text = d.text;
    dst.pos = d.pos;
    std::string err;
    auto ds = policy::classify_selector(d.text, d.pos, &err);
    if (!ds) {
      dst.error = err;
    } else if (ds->kind == SelectorKind::Group) {
      dst.error = "an SSH test dst is a tag, user, host or IPv4 address, not a group";
    } else {
      Named n = tr.resolve(*ds, src, true);
      dst.error = n.error;
      dst.devices = n.devices;
      if (n.addr) {
        int dev = tr.inv().device_at(*n.addr);
        if (dev >= 0) dst.devices.push_back(static_cast<size_t>(dev));
      }
      std::sort(dst.devices.begin(), dst.devices.end());
      dst.devices.erase(std::unique(dst.devices.begin(), dst.devices.end()), dst.devices.end());
    }
    t.dsts.push_back(std::move(dst));
  }
  auto add = [&](const std::vector<policy::Str>& users, ir::SshVerdict want) {
    for (const policy::Str& u : users) {
      ir::SshTestAssertion a;
      a.user = u.text;
      a.pos = u.pos;
      a.want = want;
      if (u.text.empty()) a.error = "ssh user \"\" is not a valid user";
      t.assertions.push_back(std::move(a));
    }
  };
  add(pt.accept, ir::SshVerdict::Accept);
  add(pt.check, ir::SshVerdict::Check);
  add(pt.deny, ir::SshVerdict::Deny);
  if (t.assertions.empty() && t.error.empty()) t.error = "test has no accept, check or deny users";
  return t;
}

}  // namespace

ir::TestSuite lower_tests(const policy::Policy& pol, const Inventory& inv) {
  ir::TestSuite suite;
  TestResolver tr(pol, inv);
  for (size_t i = 0; i < pol.tests.size(); ++i) {
    suite.tests.push_back(lower_acl_test(tr, pol.tests[i], i));
  }
  for (size_t i = 0; i < pol.ssh_tests.size(); ++i) {
    suite.ssh_tests.push_back(lower_ssh_test(tr, pol.ssh_tests[i], i));
  }
  return suite;
}

}  // namespace aclc
