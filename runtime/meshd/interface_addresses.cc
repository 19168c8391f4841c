#include "runtime/meshd/interface_addresses.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aclc::meshd {
namespace {

// One rtnetlink request with its ack.
class Netlink {
 public:
  Netlink() { fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); }
  ~Netlink() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  // 0 or -errno.
  int request(nlmsghdr* msg) {
    msg->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    msg->nlmsg_seq = ++seq_;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_, msg, msg->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
      return -errno;
    alignas(nlmsghdr) char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return -errno;
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, size_t(n)); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_seq != seq_ || h->nlmsg_type != NLMSG_ERROR) continue;
        return reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      }
    }
  }

 private:
  int fd_ = -1;
  uint32_t seq_ = 0;
};

struct Message {
  alignas(nlmsghdr) char buf[256]{};
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf); }
  void attr(uint16_t type, const void* data, size_t len) {
    auto* a = reinterpret_cast<rtattr*>(buf + NLMSG_ALIGN(hdr()->nlmsg_len));
    a->rta_type = type;
    a->rta_len = uint16_t(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(a), data, len);
    hdr()->nlmsg_len = NLMSG_ALIGN(hdr()->nlmsg_len) + RTA_ALIGN(a->rta_len);
  }
};

// Network-order bytes of a bundle address.
size_t address_bytes(uint8_t family, bundle::u128 addr, uint8_t out[16]) {
  size_t n = family == 4 ? 4 : 16;
  for (size_t i = 0; i < n; ++i) out[i] = uint8_t(addr >> (8 * (n - 1 - i)));
  return n;
}

int change_address(Netlink& nl, bool add, int ifindex, uint8_t family, bundle::u128 addr,
                   uint8_t bits) {
  Message m;
  m.hdr()->nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  m.hdr()->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  if (add) m.hdr()->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  auto* ifa = reinterpret_cast<ifaddrmsg*>(NLMSG_DATA(m.hdr()));
  ifa->ifa_family = family == 4 ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = bits;
  ifa->ifa_index = uint32_t(ifindex);
  uint8_t a[16];
  size_t n = address_bytes(family, addr, a);
  m.attr(IFA_LOCAL, a, n);
  m.attr(IFA_ADDRESS, a, n);
  return nl.request(m.hdr());
}

int change_route(Netlink& nl, bool add, int ifindex, uint8_t family, bundle::u128 addr,
                 uint8_t bits) {
  Message m;
  m.hdr()->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  m.hdr()->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  if (add) m.hdr()->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  auto* rt = reinterpret_cast<rtmsg*>(NLMSG_DATA(m.hdr()));
  rt->rtm_family = family == 4 ? AF_INET : AF_INET6;
  rt->rtm_dst_len = bits;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  uint8_t a[16];
  size_t n = address_bytes(family, addr, a);
  m.attr(RTA_DST, a, n);
  uint32_t oif = uint32_t(ifindex);
  m.attr(RTA_OIF, &oif, sizeof oif);
  return nl.request(m.hdr());
}

std::string prefix_text(uint8_t family, bundle::u128 addr, uint8_t bits) {
  uint8_t a[16];
  size_t n = address_bytes(family, addr, a);
  std::string s;
  if (n == 4) {
    for (size_t i = 0; i < 4; ++i) s += (i ? "." : "") + std::to_string(a[i]);
  } else {
    static const char* hex = "0123456789abcdef";
    for (size_t i = 0; i < 16; i += 2) {
      if (i) s += ':';
      unsigned v = unsigned(a[i]) << 8 | a[i + 1];
      s += std::string(1, hex[v >> 12]) + hex[(v >> 8) & 15] + hex[(v >> 4) & 15] + hex[v & 15];
    }
  }
  return s + "/" + std::to_string(bits);
}

}  // namespace

std::string InterfaceAddresses::configure(const bundle::Bundle& b) {
  int ifindex = int(::if_nametoindex(iface_.c_str()));
  if (ifindex == 0) return iface_ + ": " + std::strerror(errno);
  Netlink nl;
  if (!nl.ok()) return std::string("netlink: ") + std::strerror(errno);
  std::string problems;
  auto problem = [&](const std::string& what, int rc) {
    problems += (problems.empty() ? "" : "; ") + what + ": " + std::strerror(-rc);
  };

  std::set<Key> want_addresses, want_routes;
  for (const auto& p : b.addresses) want_addresses.insert({p.family, {p.addr, p.bits}});
  for (const auto& peer : b.peers) {
    if (!peer.wireguard_key) continue;
    for (const auto& p : peer.allowed_ips) {
      if (p.bits == 0) {
        problems += (problems.empty() ? "" : "; ") + std::string("default route ") +
                    prefix_text(p.family, p.addr, p.bits) + " of " + peer.name + " not installed";
        continue;
      }
      want_routes.insert({p.family, {p.addr, p.bits}});
    }
  }
  // Addresses first: the kernel adds their own routes, which ours may shadow.
  for (const Key& k : addresses_)
    if (!want_addresses.contains(k)) change_address(nl, false, ifindex, k.first, k.second.first, k.second.second);
  for (const Key& k : want_addresses)
    if (int rc = change_address(nl, true, ifindex, k.first, k.second.first, k.second.second); rc != 0)
      problem("address " + prefix_text(k.first, k.second.first, k.second.second), rc);
  addresses_ = want_addresses;
  for (const Key& k : routes_)
    if (!want_routes.contains(k)) change_route(nl, false, ifindex, k.first, k.second.first, k.second.second);
  for (const Key& k : want_routes)
    if (int rc = change_route(nl, true, ifindex, k.first, k.second.first, k.second.second); rc != 0)
      problem("route " + prefix_text(k.first, k.second.first, k.second.second), rc);
  routes_ = want_routes;
  return problems;
}

}  // namespace aclc::meshd
