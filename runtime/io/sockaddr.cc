#include "runtime/io/sockaddr.h"

#include <netinet/in.h>

#include <cstring>

namespace aclc::runtime::io {

socklen_t to_sockaddr(const Endpoint& ep, int socket_family, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (socket_family == AF_INET) {
    if (ep.family != 4) return 0;
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(ep.port);
    std::memcpy(&sin->sin_addr, ep.address.data(), 4);
    return sizeof *sin;
  }
  if (socket_family != AF_INET6 || (ep.family != 4 && ep.family != 6)) return 0;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(ep.port);
  if (ep.family == 4) {  // ::ffff:a.b.c.d
    sin6->sin6_addr.s6_addr[10] = 0xff;
    sin6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&sin6->sin6_addr.s6_addr[12], ep.address.data(), 4);
  } else {
    std::memcpy(&sin6->sin6_addr, ep.address.data(), 16);
  }
  return sizeof *sin6;
}

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& sa, socklen_t len) {
  Endpoint ep;
  if (sa.ss_family == AF_INET && len >= socklen_t(sizeof(sockaddr_in))) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&sa);
    ep.family = 4;
    std::memcpy(ep.address.data(), &sin->sin_addr, 4);
    ep.port = ntohs(sin->sin_port);
    return ep;
  }
  if (sa.ss_family == AF_INET6 && len >= socklen_t(sizeof(sockaddr_in6))) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    const uint8_t* a = sin6->sin6_addr.s6_addr;
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a, kMapped, 12) == 0) {
      ep.family = 4;
      std::memcpy(ep.address.data(), a + 12, 4);
    } else {
      ep.family = 6;
      std::memcpy(ep.address.data(), a, 16);
    }
    ep.port = ntohs(sin6->sin6_port);
    return ep;
  }
  return std::nullopt;
}

}  // namespace aclc::runtime::io
