#include "runtime/io/udp_gso.h"

namespace aclc::runtime::io {

void plan_gso_runs(std::span<const OutDatagram> datagrams, std::vector<GsoRun>& out,
                   size_t max_segments) {
  out.clear();
  size_t i = 0;
  while (i < datagrams.size()) {
    const OutDatagram& first = datagrams[i];
    GsoRun run{i, 1, first.data.size()};
    // An empty datagram cannot be a segment size.
    if (run.segment_size != 0) {
      const size_t limit = first.to.family == 4 ? kMaxUdpPayloadV4 : kMaxUdpPayloadV6;
      size_t bytes = run.segment_size;
      while (run.count < max_segments && i + run.count < datagrams.size()) {
        const OutDatagram& d = datagrams[i + run.count];
        const size_t n = d.data.size();
        if (!(d.to == first.to) || n == 0 || n > run.segment_size || bytes + n > limit) break;
        bytes += n;
        run.count++;
        if (n < run.segment_size) break;  // only the last may be shorter
      }
    }
    out.push_back(run);
    i += run.count;
  }
}

}  // namespace aclc::runtime::io
