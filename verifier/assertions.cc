#include "verifier/assertions.h"

#include "compiler/front/ports.h"
#include "compiler/front/proto.h"
#include "compiler/front/selector.h"

namespace aclc::verify {

using hujson::Kind;
using hujson::Value;
using policy::Selector;
using policy::SelectorKind;

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

class Decoder {
 public:
  Decoder(const std::string& file, const policy::Policy& pol, const Inventory& inv,
          bool has_inventory, Diagnostics& diags)
      : file_(file), pol_(pol), inv_(inv), has_inventory_(has_inventory), diags_(diags) {}

  std::vector<Assertion> list(const Value& v) {
    std::vector<Assertion> out;
    if (!v.is_array()) {
      error(v.pos, "assertions must be an array of objects, got " +
                       std::string(hujson::kind_name(v.kind)));
      return out;
    }
    for (const Value& item : v.items) {
      if (auto a = one(item)) out.push_back(std::move(*a));
    }
    return out;
  }

  std::optional<Assertion> one(const Value& v) {
    if (!v.is_object()) {
      error(v.pos, "an assertion must be an object, got " + std::string(hujson::kind_name(v.kind)));
      return std::nullopt;
    }
    Assertion a;
    a.file = file_;
    a.pos = v.pos;
    a.scope = has_inventory_ ? Scope::Nodes : Scope::Symbolic;
    const Value *src = nullptr, *dst = nullptr, *deny = nullptr, *accept = nullptr,
                *only = nullptr;
    bool ok = true;
    for (const hujson::Member& m : v.members) {
      if (m.key == "src") {
        src = &m.value;
      } else if (m.key == "dst") {
        dst = &m.value;
      } else if (m.key == "deny") {
        deny = &m.value;
      } else if (m.key == "accept") {
        accept = &m.value;
      } else if (m.key == "only") {
        only = &m.value;
      } else if (m.key == "proto") {
        ok = proto(m.value, a) && ok;
      } else if (m.key == "scope") {
        ok = scope(m.value, a) && ok;
      } else {
        error(m.key_pos, "unknown assertion field " + quoted(m.key) +
                             ": use src with deny or accept, or dst with only; proto; scope");
        ok = false;
      }
    }
    int forms = (deny != nullptr) + (accept != nullptr) + (only != nullptr);
    if (forms != 1) {
      error(v.pos, "an assertion needs exactly one of \"deny\", \"accept\" or \"only\"");
      return std::nullopt;
    }
    if (only) {
      a.kind = AssertKind::Only;
      if (src) return fail(src->pos, "an \"only\" assertion names its \"dst\", not a \"src\"");
      if (!dst) return fail(v.pos, "an \"only\" assertion needs a \"dst\" (\"host:port\")");
      auto d = destination(*dst);
      if (!d) return std::nullopt;
      a.dsts.push_back(std::move(*d));
      auto sources = strings(*only, "only");
      if (!sources) return std::nullopt;
      for (const Value* s : *sources) {
        auto sel = selector(*s, /*src=*/true);
        if (!sel) {
          ok = false;
          continue;
        }
        a.only.push_back(std::move(*sel));
      }
    } else {
      a.kind = deny ? AssertKind::Deny : AssertKind::Accept;
      const char* what = deny ? "deny" : "accept";
      if (dst) return fail(dst->pos, std::string("a \"") + what + "\" assertion names its \"src\", not a \"dst\"");
      if (!src) return fail(v.pos, std::string("a \"") + what + "\" assertion needs a \"src\"");
      if (!src->is_string()) return fail(src->pos, "\"src\" must be a string");
      a.src = selector(*src, /*src=*/true);
      if (!a.src) ok = false;
      auto targets = strings(deny ? *deny : *accept, what);
      if (!targets) return std::nullopt;
      if (targets->empty()) return fail((deny ? deny : accept)->pos, std::string("\"") + what + "\" is empty");
      for (const Value* t : *targets) {
        auto d = destination(*t);
        if (!d) {
          ok = false;
          continue;
        }
        a.dsts.push_back(std::move(*d));
      }
    }
    if (a.scope == Scope::Nodes && !has_inventory_) {
      error(v.pos, "scope \"nodes\" needs the tailnet's devices", "pass --nodes DEVICES.json");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return a;
  }

 private:
  std::nullopt_t fail(Pos pos, const std::string& msg) {
    error(pos, msg);
    return std::nullopt;
  }

  void error(Pos pos, const std::string& msg, const std::string& hint = "") {
    diags_.error(file_, pos, msg, "bad-assertion", hint);
  }

  bool proto(const Value& v, Assertion& a) {
    if (!v.is_string() || v.text.empty()) {
      error(v.pos, "\"proto\" must be a protocol name or number");
      return false;
    }
    std::string err;
    auto n = policy::parse_proto_number(v.text, &err);
    if (!n) {
      error(v.pos, err);
      return false;
    }
    a.proto = policy::Proto{*n, v.text, v.pos};
    return true;
  }

  bool scope(const Value& v, Assertion& a) {
    if (v.is_string() && v.text == "nodes") {
      a.scope = Scope::Nodes;
      return true;
    }
    if (v.is_string() && v.text == "symbolic") {
      a.scope = Scope::Symbolic;
      return true;
    }
    error(v.pos, "\"scope\" must be \"nodes\" or \"symbolic\"");
    return false;
  }

  std::optional<std::vector<const Value*>> strings(const Value& v, const char* what) {
    std::vector<const Value*> out;
    if (v.is_string()) {
      out.push_back(&v);
      return out;
    }
    if (!v.is_array()) {
      error(v.pos, std::string("\"") + what + "\" must be a list of strings");
      return std::nullopt;
    }
    for (const Value& i : v.items) {
      if (!i.is_string()) {
        error(i.pos, std::string("\"") + what + "\" entries must be strings");
        return std::nullopt;
      }
      out.push_back(&i);
    }
    return out;
  }

  // Column of a piece of a string value: the opening quote plus one.
  static Pos inside(Pos p, size_t offset) {
    Pos q = p;
    q.col += static_cast<uint32_t>(offset + 1);
    q.offset += offset + 1;
    return q;
  }

  std::optional<AssertDst> destination(const Value& v) {
    if (!v.is_string()) {
      error(v.pos, "a destination must be a \"host:port\" string");
      return std::nullopt;
    }
    std::string err;
    auto hp = policy::split_host_ports(v.text, &err);
    if (!hp) {
      error(v.pos, quoted(v.text) + ": " + err);
      return std::nullopt;
    }
    auto ports = policy::parse_port_list(hp->ports, &err);
    if (!ports) {
      error(inside(v.pos, static_cast<size_t>(hp->ports.data() - v.text.data())), err);
      return std::nullopt;
    }
    auto sel = selector_text(std::string(policy::trim_space(hp->host)), v.pos, /*src=*/false);
    if (!sel) return std::nullopt;
    AssertDst d;
    d.host = std::move(*sel);
    d.ports = std::move(*ports);
    d.text = v.text;
    d.pos = v.pos;
    return d;
  }

  std::optional<Selector> selector(const Value& v, bool src) {
    if (!v.is_string()) {
      error(v.pos, "a selector must be a string");
      return std::nullopt;
    }
    return selector_text(std::string(policy::trim_space(v.text)), v.pos, src);
  }

  std::optional<Selector> selector_text(const std::string& text, Pos pos, bool src) {
    std::string err;
    auto sel = policy::classify_selector(text, pos, &err);
    if (!sel) {
      error(pos, err);
      return std::nullopt;
    }
    switch (sel->kind) {
      case SelectorKind::Group:
        if (!pol_.find_group(sel->name)) return undefined(pos, "group not found: " + quoted(sel->name), "define it in \"groups\"");
        break;
      case SelectorKind::Tag:
        if (!pol_.find_tag(sel->name)) return undefined(pos, "tag not found: " + quoted(sel->name), "define it in \"tagOwners\"");
        break;
      case SelectorKind::IPSet:
        if (!pol_.find_ipset(sel->name)) return undefined(pos, "ipset not found: " + quoted(sel->name), "define it in \"ipsets\"");
        break;
      case SelectorKind::Autogroup:
        if (!policy::known_autogroup(sel->name) || sel->name == "self" || sel->name == "nonroot") {
          return undefined(pos, "autogroup not usable in an assertion: " + quoted(sel->text), "");
        }
        if (!src && sel->name == "danger-all") {
          return undefined(pos, "autogroup:danger-all is a source only", "");
        }
        break;
      case SelectorKind::Name:
        if (pol_.find_host(sel->name)) {
          sel->host_alias = true;
        } else if (!inv_.find_device(sel->name)) {
          return undefined(pos,
                           "host not defined in policy and no device of that name: " + quoted(sel->name),
                           has_inventory_ ? "define it in \"hosts\" or check the device list"
                                          : "define it in \"hosts\", or pass --nodes DEVICES.json");
        }
        break;
      case SelectorKind::Posture:
        return undefined(pos, "a posture is not a selector: " + quoted(sel->text), "");
      default:
        break;
    }
    return sel;
  }

  std::nullopt_t undefined(Pos pos, const std::string& msg, const std::string& hint) {
    diags_.error(file_, pos, msg, "undefined-selector", hint);
    return std::nullopt;
  }

  const std::string& file_;
  const policy::Policy& pol_;
  const Inventory& inv_;
  bool has_inventory_;
  Diagnostics& diags_;
};

}  // namespace

std::string Assertion::describe() const {
  std::string out;
  auto join = [](const auto& xs, auto text) {
    std::string s;
    for (const auto& x : xs) s += (s.empty() ? "" : ", ") + text(x);
    return s;
  };
  auto dst_text = [](const AssertDst& d) { return d.text; };
  switch (kind) {
    case AssertKind::Deny:
      out = src->text + " deny " + join(dsts, dst_text);
      break;
    case AssertKind::Accept:
      out = src->text + " accept " + join(dsts, dst_text);
      break;
    case AssertKind::Only:
      out = dsts.front().text + " only from " +
            join(only, [](const Selector& s) { return s.text; });
      break;
  }
  if (proto) out += " (proto " + proto->text + ")";
  return out;
}

std::vector<Assertion> decode_assertions(const hujson::Value& list, const std::string& file,
                                         const policy::Policy& pol, const Inventory& inv,
                                         bool has_inventory, Diagnostics& diags) {
  return Decoder(file, pol, inv, has_inventory, diags).list(list);
}

std::vector<Assertion> parse_assertions(std::string_view text, const std::string& file,
                                        bool single_ok, const policy::Policy& pol,
                                        const Inventory& inv, bool has_inventory,
                                        Diagnostics& diags) {
  Value root;
  try {
    root = hujson::parse(text);
  } catch (const hujson::SyntaxError& e) {
    diags.error(file, e.pos(), e.what(), "syntax");
    return {};
  }
  Decoder d(file, pol, inv, has_inventory, diags);
  if (root.is_object()) {
    for (const hujson::Member& m : root.members) {
      if (m.key == "assertions") return d.list(m.value);
    }
    if (single_ok) {
      std::vector<Assertion> out;
      if (auto a = d.one(root)) out.push_back(std::move(*a));
      return out;
    }
    diags.error(file, root.pos, "expected an \"assertions\" array", "bad-assertion");
    return {};
  }
  return d.list(root);
}

}  // namespace aclc::verify
