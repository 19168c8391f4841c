#include "compiler/front/device_names.h"

namespace aclc {
namespace {

class Checker {
 public:
  Checker(const policy::Policy& pol, const Inventory* inv, Diagnostics& diags)
      : pol_(pol), inv_(inv), diags_(diags) {}

  void run() {
    for (const auto& g : pol_.groups) each(g.members);
    for (const auto& r : pol_.acls) {
      each(r.src);
      for (const auto& d : r.dst) one(d.target);
    }
    for (const auto& g : pol_.grants) {
      each(g.src);
      each(g.dst);
    }
    for (const auto& r : pol_.ssh) {
      each(r.src);
      each(r.dst);
    }
    for (const auto& a : pol_.node_attrs) each(a.target);
    for (const auto& s : pol_.ipsets)
      for (const auto& e : s.entries) one(e.target);
  }

 private:
  void each(const std::vector<policy::Selector>& v) {
    for (const auto& s : v) one(s);
  }
  void one(const policy::Selector& s) {
    if (s.kind != policy::SelectorKind::Name || s.host_alias) return;
    if (inv_ && inv_->find_device(s.name)) return;
    if (!inv_) {
      diags_.error(pol_.file, s.pos,
                   "\"" + s.name +
                       "\" is neither a hosts entry nor a known device: "
                       "device names need the device list",
                   "unknown-name",
                   "pass the tailnet's devices with --nodes FILE, or add "
                   "\"hosts\": {\"" + s.name + "\": \"<address>\"}");
      return;
    }
    diags_.error(pol_.file, s.pos,
                 "\"" + s.name +
                     "\" is neither a hosts entry nor a device in " +
                     inv_->file,
                 "unknown-name",
                 "check the spelling, or add \"hosts\": {\"" + s.name +
                     "\": \"<address>\"}");
  }

  const policy::Policy& pol_;
  const Inventory* inv_;
  Diagnostics& diags_;
};

}  // namespace

void check_device_names(const policy::Policy& pol, const Inventory* inv,
                        Diagnostics& diags) {
  if (pol.dialect != Dialect::Aclc) return;
  Checker(pol, inv, diags).run();
}

}  // namespace aclc
