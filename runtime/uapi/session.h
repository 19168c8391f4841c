// One UAPI connection's protocol state, with no I/O: bytes in, replies
// out. The server feeds it what it reads and writes what it produces; tests
// drive it directly.
//
// A connection carries any number of operations, each answered
// "errno=N\n\n" (after the dump, for get):
//   "get=1\n\n"            -> format_get(target.status()) + "errno=0\n\n"
//   "set=1\n" lines "\n"   -> target.apply(parsed config), errno = its result
// What ends a connection, as in wireguard-go: an operation line other than
// "get=1" or "set=1" (closed without a reply); "get=1\n" followed by
// anything but "\n" (errno=-EINVAL, then closed). A set request that fails
// to parse is read to its empty line and answered with its errno; the
// connection stays usable. A set request past kMaxSetLines is answered
// -EMSGSIZE and the connection closed. A request cut short by the peer
// closing its end is dropped, never applied.
//
// Memory is bounded: one line (kMaxLineBytes + 1 bytes), one set request
// within protocol.h's bounds, and one reply, because receive() stops
// consuming input while a reply waits to be sent. Buffers that held lines
// or replies (key material) are wiped.
#ifndef ACLC_RUNTIME_UAPI_SESSION_H_
#define ACLC_RUNTIME_UAPI_SESSION_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/device/config.h"
#include "runtime/uapi/protocol.h"

namespace aclc::runtime::uapi {

class Session {
 public:
  using Log = std::function<void(std::string_view)>;
  explicit Session(ConfigTarget& target, Log log = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Consumes bytes as they arrive and runs every request they complete,
  // stopping right after a request that produced a reply (so that one read
  // never queues more than one reply) or when finished(). Returns how many
  // bytes were consumed; pass the rest again once output() is empty.
  size_t receive(std::string_view bytes);

  // The reply waiting to be sent, and how much of it went out.
  std::string_view output() const;
  void sent(size_t n);

  // No more requests: close once output() is empty.
  bool finished() const { return state_ == State::kFinished; }

 private:
  enum class State { kOperation, kGetEnd, kSetLines, kDiscardLine, kFinished };
  void end_of_line();
  void end_of_set();
  void reply(std::string_view text);
  void wipe_line();
  void note(std::string_view line) const;

  ConfigTarget& target_;
  Log log_;
  State state_ = State::kOperation;
  std::string line_;  // the line being received, at most kMaxLineBytes + 1
  std::optional<SetParser> set_;
  std::string output_;
  size_t output_sent_ = 0;
};

}  // namespace aclc::runtime::uapi

#endif  // ACLC_RUNTIME_UAPI_SESSION_H_
