#include "control/publisher.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <set>

#include "compiler/back/bundle_build.h"
#include "compiler/back/peers.h"
#include "compiler/back/table_build.h"
#include "control/crash_point.h"
#include "control/durable_file.h"
#include "control/etag.h"
#include "verifier/translation_validation.h"

namespace aclc::control {
namespace {

constexpr const char* kSuffix = ".bundle";

uint64_t unix_now() { return uint64_t(std::time(nullptr)); }

std::string published_json(const Published& p) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("commit");
  w.String(p.commit.c_str());
  w.Key("generation");
  w.Uint64(p.generation);
  w.Key("serial");
  w.Uint64(p.serial);
  w.Key("issuedAt");
  w.Uint64(p.issued_at);
  w.Key("expiresAt");
  w.Uint64(p.expires_at);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Publisher::Publisher(std::string state_dir, bundle::SigningKey key, uint64_t ttl_seconds,
                     bool verify)
    : dir_(state_dir + "/bundles"),
      state_dir_(std::move(state_dir)),
      key_(std::move(key)),
      ttl_(ttl_seconds),
      verify_(verify) {}

bool Publisher::load(std::string& error) {
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    error = "cannot create " + dir_ + ": " + std::strerror(errno);
    return false;
  }
  bool missing = false;
  if (auto text = read_whole(state_dir_ + "/serial", error, &missing)) {
    try {
      last_serial_ = std::stoull(*text);
    } catch (const std::exception&) {
      error = state_dir_ + "/serial: not a number";
      return false;
    }
  } else if (!missing) {
    return false;
  }
  if (auto text = read_whole(state_dir_ + "/published.json", error, &missing)) {
    rapidjson::Document d;
    d.Parse(text->c_str(), text->size());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("commit") || !d["commit"].IsString() ||
        !d.HasMember("generation") || !d["generation"].IsUint64() || !d.HasMember("serial") ||
        !d["serial"].IsUint64() || !d.HasMember("issuedAt") || !d["issuedAt"].IsUint64() ||
        !d.HasMember("expiresAt") || !d["expiresAt"].IsUint64()) {
      error = state_dir_ + "/published.json is damaged";
      return false;
    }
    published_.commit = d["commit"].GetString();
    published_.generation = d["generation"].GetUint64();
    published_.serial = d["serial"].GetUint64();
    published_.issued_at = d["issuedAt"].GetUint64();
    published_.expires_at = d["expiresAt"].GetUint64();
  } else if (!missing) {
    return false;
  }
  // The bundles in place, served from memory from now on.
  std::map<std::string, ServedBundle> served;
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = dir_ + "/" + name;
      // Staged or half-written files of a publish a crash interrupted.
      if (name[0] == '.' || name.find(".tmp.") != std::string::npos) {
        ::unlink(path.c_str());
        continue;
      }
      if (!ends_with(name, kSuffix)) continue;
      auto bytes = read_whole(path, error);
      if (!bytes) {
        ::closedir(d);
        return false;
      }
      ServedBundle b;
      b.etag = policy_etag(*bytes);
      b.serial = published_.serial;
      b.bytes = std::make_shared<const std::string>(std::move(*bytes));
      served[name.substr(0, name.size() - std::strlen(kSuffix))] = std::move(b);
    }
    ::closedir(d);
  }
  std::lock_guard lock(mu_);
  served_ = std::move(served);
  return true;
}

std::optional<Publisher::Staged> Publisher::stage(const CheckedPolicy& p,
                                                  const std::string& policy_etag,
                                                  std::string& error) {
  const Inventory& inv = p.inventory;
  Staged st;
  uint64_t now = unix_now();
  st.serial = std::max(last_serial_ + 1, now);
  st.issued_at = now;
  st.expires_at = now + ttl_;
  // The serial is spent before any bundle carries it.
  if (!write_durable(state_dir_ + "/serial", std::to_string(st.serial) + "\n", error, 0644))
    return std::nullopt;
  last_serial_ = st.serial;

  bundle::Stamp stamp;
  stamp.revision = "sha256:" + policy_etag;
  stamp.serial = st.serial;
  stamp.issued_at = st.issued_at;
  stamp.expires_at = st.expires_at;

  table::Builder builder(*p.program, inv);
  peers::Visibility visibility(*p.program, inv);
  std::optional<z3::context> ctx;
  std::optional<verify::Encoding> enc;
  std::optional<verify::TranslationValidator> tv;
  if (verify_) {
    ctx.emplace();
    enc.emplace(*ctx, *p.policy, *p.program, inv, verify::Scope::Nodes);
    tv.emplace(*enc);
  }
  for (size_t d = 0; d < inv.devices.size(); ++d) {
    const std::string& name = inv.devices[d].hostname;
    table::Table t = builder.for_device(d);
    if (tv) {
      verify::Validation v = tv->validate(d, t.zones());
      if (v.answer != verify::Answer::Unsat) {
        error = v.answer == verify::Answer::Sat
                    ? "compiler error: " + verify::describe_mismatch(name, *v.mismatch)
                    : "the filter of " + name + " could not be proved (solver limit)";
        discard(st);
        return std::nullopt;
      }
    }
    bundle::Bundle b = bundle::make_bundle(inv, d, t, visibility.peers_of(d), stamp);
    auto bytes = bundle::seal(b, key_, error);
    if (!bytes) {
      error = "bundle of " + name + ": " + error;
      discard(st);
      return std::nullopt;
    }
    std::string data(bytes->begin(), bytes->end());
    std::string tmp = dir_ + "/." + name + ".bundle.staged";
    if (!write_durable(tmp, data, error, 0644)) {
      discard(st);
      return std::nullopt;
    }
    ServedBundle served;
    served.etag = control::policy_etag(data);
    served.serial = st.serial;
    served.bytes = std::make_shared<const std::string>(std::move(data));
    st.files.push_back({name, {tmp, std::move(served)}});
  }
  return st;
}

void Publisher::discard(Staged& staged) {
  for (auto& f : staged.files) ::unlink(f.second.first.c_str());
  staged.files.clear();
}

bool Publisher::install(Staged staged, const std::string& commit, uint64_t generation,
                        std::string& error) {
  std::set<std::string> names;
  std::map<std::string, ServedBundle> served;
  for (size_t i = 0; i < staged.files.size(); ++i) {
    auto& [name, file] = staged.files[i];
    std::string final_path = dir_ + "/" + name + kSuffix;
    if (::rename(file.first.c_str(), final_path.c_str()) != 0) {
      error = "cannot install " + final_path + ": " + std::strerror(errno);
      discard(staged);
      return false;
    }
    if (i == 0) crash_point("mid-bundles");
    names.insert(name);
    served[name] = file.second;
  }
  // Devices that are gone lose their bundle.
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.empty() || n[0] == '.' || !ends_with(n, kSuffix)) continue;
      if (!names.count(n.substr(0, n.size() - std::strlen(kSuffix))))
        ::unlink((dir_ + "/" + n).c_str());
    }
    ::closedir(d);
  }
  if (!sync_directory(dir_, error)) return false;
  Published p{commit, generation, staged.serial, staged.issued_at, staged.expires_at};
  if (!write_durable(state_dir_ + "/published.json", published_json(p), error, 0644))
    return false;
  published_ = p;
  {
    std::lock_guard lock(mu_);
    served_ = std::move(served);
  }
  changed_.notify_all();
  return true;
}

std::optional<ServedBundle> Publisher::lookup(const std::string& hostname) const {
  std::lock_guard lock(mu_);
  auto it = served_.find(hostname);
  if (it == served_.end()) return std::nullopt;
  return it->second;
}

std::optional<ServedBundle> Publisher::wait_for_change(const std::string& hostname,
                                                       const std::string& etag,
                                                       unsigned seconds) {
  std::unique_lock lock(mu_);
  auto unchanged = [&] {
    auto it = served_.find(hostname);
    return it != served_.end() && it->second.etag == etag;
  };
  changed_.wait_for(lock, std::chrono::seconds(seconds),
                    [&] { return stopping_ || !unchanged(); });
  auto it = served_.find(hostname);
  if (it == served_.end()) return std::nullopt;
  return it->second;
}

void Publisher::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
}

bool Publisher::due_for_refresh(uint64_t now) const {
  return published_.issued_at != 0 &&
         now >= published_.issued_at + (published_.expires_at - published_.issued_at) / 2;
}

}  // namespace aclc::control
