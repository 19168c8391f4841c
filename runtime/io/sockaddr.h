// Conversions between runtime::Endpoint and the socket API's addresses. A
// dual-stack (AF_INET6) socket sees IPv4 peers as ::ffff:a.b.c.d; both
// directions map them to and from family-4 endpoints.
#ifndef ACLC_RUNTIME_IO_SOCKADDR_H_
#define ACLC_RUNTIME_IO_SOCKADDR_H_

#include <sys/socket.h>

#include <optional>

#include "runtime/device/config.h"

namespace aclc::runtime::io {

// The sockaddr to send to ep from a socket of socket_family (AF_INET or
// AF_INET6); returns its length, or 0 when the socket cannot reach ep (an
// IPv6 endpoint from an IPv4-only socket).
socklen_t to_sockaddr(const Endpoint& ep, int socket_family, sockaddr_storage* out);

// The endpoint of a received source address; nullopt for other families.
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& sa, socklen_t len);

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_SOCKADDR_H_
