#include "runtime/filter/enforcer.h"

#include <utility>

namespace aclc::runtime::filter {
namespace {

bool is_multicast(const FlowKey& f) {
  if (f.family == 4) return (f.dst >> 28) == 0xe || f.dst == 0xffffffffu;
  return (f.dst >> 120) == 0xff;
}

bool syn_only(uint8_t flags) { return (flags & (kTcpSyn | kTcpAck)) == kTcpSyn; }

// Whether a packet may open a tracked flow. ICMP other than echo requests
// answers something or is stateless; it never opens one.
bool opens_flow(const Packet& p) {
  if (p.later_fragment) return false;
  if (p.icmp != IcmpKind::kNone) return p.icmp == IcmpKind::kEchoRequest;
  if (p.flow.proto == kProtoTcp) return (p.tcp_flags & kTcpRst) == 0;
  return true;
}

}  // namespace

Enforcer::Enforcer(const EnforcerConfig& config)
    : log_(config.log), conntrack_(config.conntrack) {}

void Enforcer::install(std::shared_ptr<const bundle::Bundle> b) {
  std::unique_ptr<Installed> next;
  if (b) {
    next = std::make_unique<Installed>();
    next->view = std::make_shared<const TableView>(std::move(b));
    next->cell_hits.assign(next->view->cell_count() + 1, 0);
  }
  std::swap(installed_, next);
  ++generation_;
}

std::shared_ptr<const bundle::Bundle> Enforcer::installed() const {
  if (!installed_) return nullptr;
  // Aliasing constructor: shares ownership of the view, which owns the bundle.
  return std::shared_ptr<const bundle::Bundle>(installed_->view, &installed_->view->bundle());
}

bool Enforcer::admits_remote_opened(const ConnKey& k) const {
  const TableView& t = *installed_->view;
  int zone = t.zone_of(k.family, k.local);
  bool icmp = k.proto == (k.family == 4 ? kProtoIcmp : kProtoIcmpV6);
  if (icmp) return t.any_rule_admits(zone, k.family, k.remote);  // echo: the only tracked ICMP
  return t.cell_for(zone, k.family, k.remote, k.proto, k.local_port) >= 0;
}

// Flows this node opened always stand; flows the remote opened are checked
// once against each newly installed table.
bool Enforcer::still_admitted(Conn& c) {
  if (c.opener == Opener::kLocal) return true;
  if (c.generation != generation_) {
    c.generation = generation_;
    c.revoked = !admits_remote_opened(c.key);
  }
  return !c.revoked;
}

Verdict Enforcer::decide_inbound(const Packet& p, wg::Instant now) {
  if (!installed_) return {false, Reason::kNoPolicy};
  const TableView& t = *installed_->view;
  const FlowKey& f = p.flow;
  if (is_multicast(f)) return {false, Reason::kMulticast};
  int zone = t.zone_of(f.family, f.dst);
  if (zone < 0 && !t.is_own(f.family, f.dst)) return {false, Reason::kNotLocal};
  if (p.later_fragment) return {true, Reason::kFragment};

  if (p.icmp == IcmpKind::kError) {
    // The quoted packet must be one this address sent, in a tracked flow.
    if (!p.has_related || p.related.src != f.dst) return {false, Reason::kIcmpUnrelated};
    Conn* c = conntrack_.find(outbound_key(p.related), now);
    if (c != nullptr && still_admitted(*c)) return {true, Reason::kRelated};
    return {false, Reason::kIcmpUnrelated};
  }

  ConnKey key = inbound_key(f);
  Conn* c = conntrack_.find(key, now);
  if (c != nullptr && f.proto == kProtoTcp && syn_only(p.tcp_flags) &&
      c->opener == Opener::kLocal && c->tcp != TcpState::kOpening) {
    // A new connection from the remote side on a tuple this node used.
    conntrack_.erase(c);
    c = nullptr;
  }
  if (c != nullptr) {
    bool ok = still_admitted(*c);
    conntrack_.observe(c, false, p.tcp_flags, now);  // a revoked flow stays marked while it lasts
    return ok ? Verdict{true, Reason::kTracked} : Verdict{false, Reason::kRevoked};
  }
  if (p.icmp == IcmpKind::kEchoReply) return {false, Reason::kIcmpUnrelated};

  Verdict v{false, Reason::kNoRule};
  if (p.icmp == IcmpKind::kEchoRequest) {
    if (t.any_rule_admits(zone, f.family, f.src)) v = {true, Reason::kEcho, int(t.echo_cell())};
  } else {
    int cell = t.cell_for(zone, f.family, f.src, f.proto, f.dst_port);
    if (cell >= 0) v = {true, Reason::kRule, cell};
  }
  if (v.pass) {
    ++installed_->cell_hits[size_t(v.cell)];
    if (opens_flow(p)) {
      Conn* added = conntrack_.insert(key, Opener::kRemote, generation_, now);
      conntrack_.observe(added, false, p.tcp_flags, now);
    }
  }
  return v;
}

Verdict Enforcer::decide_outbound(const Packet& p, wg::Instant now) {
  if (p.later_fragment || (p.icmp != IcmpKind::kNone && p.icmp != IcmpKind::kEchoRequest &&
                           p.icmp != IcmpKind::kEchoReply)) {
    return {true, Reason::kOutbound};
  }
  ConnKey key = outbound_key(p.flow);
  Conn* c = conntrack_.find(key, now);
  if (c != nullptr && p.flow.proto == kProtoTcp && syn_only(p.tcp_flags) &&
      c->opener == Opener::kRemote && (c->revoked || c->tcp != TcpState::kOpening)) {
    // The host opens a new connection on a tuple the remote side used.
    conntrack_.erase(c);
    c = nullptr;
  }
  if (c == nullptr) {
    if (!opens_flow(p)) return {true, Reason::kOutbound};
    c = conntrack_.insert(key, Opener::kLocal, generation_, now);
  }
  conntrack_.observe(c, true, p.tcp_flags, now);
  return {true, Reason::kOutbound};
}

Verdict Enforcer::inbound(std::span<const uint8_t> bytes, wg::Instant now) {
  Packet p;
  Verdict v;
  v = parse(bytes, p) == ParseResult::kOk ? decide_inbound(p, now) : Verdict{false, Reason::kMalformed};
  ++inbound_counts_[size_t(v.reason)];
  log(Direction::kInbound, p, v, now);
  return v;
}

Verdict Enforcer::outbound(std::span<const uint8_t> bytes, wg::Instant now) {
  Packet p;
  Verdict v;
  v = parse(bytes, p) == ParseResult::kOk ? decide_outbound(p, now) : Verdict{false, Reason::kMalformed};
  ++outbound_counts_[size_t(v.reason)];
  log(Direction::kOutbound, p, v, now);
  return v;
}

void Enforcer::log(Direction dir, const Packet& p, const Verdict& v, wg::Instant now) {
  if (log_ == nullptr || !log_->wants(v.pass)) return;
  Decision d;
  d.verdict = v;
  d.direction = dir;
  d.flow = p.flow;
  d.icmp = p.icmp != IcmpKind::kNone;
  d.icmp_type = p.icmp_type;
  d.icmp_code = p.icmp_code;
  log_->record(d, now);
}

FilterStats Enforcer::stats() const {
  FilterStats s;
  s.inbound = inbound_counts_;
  s.outbound = outbound_counts_;
  s.tracked = conntrack_.size();
  s.capacity = conntrack_.capacity();
  s.evictions = conntrack_.evictions();
  s.generation = generation_;
  if (installed_) {
    const TableView& t = *installed_->view;
    for (size_t i = 0; i < t.cell_count(); ++i) {
      const TableView::CellName& n = t.cell_name(i);
      s.cells.push_back(CellHits{n.zone, n.klass, n.cell, n.protos->protos, n.port_first,
                                 n.port_last, false, installed_->cell_hits[i]});
    }
    CellHits echo;
    echo.echo = true;
    echo.hits = installed_->cell_hits[t.echo_cell()];
    s.cells.push_back(echo);
  }
  return s;
}

}  // namespace aclc::runtime::filter
