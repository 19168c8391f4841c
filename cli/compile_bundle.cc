#include "cli/compile_bundle.h"

#include <sodium.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "cli/file_io.h"
#include "cli/output.h"
#include "cli/signing_key.h"
#include "compiler/back/bundle_build.h"
#include "compiler/back/peers.h"
#include "compiler/back/table_build.h"
#include "compiler/bundle/bundle.h"
#include "compiler/front/duration.h"
#include "verifier/translation_validation.h"

namespace aclc::cli {
namespace {

void error(const std::string& msg) { std::fprintf(stderr, "aclc: error: %s\n", msg.c_str()); }

// A hostname that is safe as one file name inside the output directory.
bool safe_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

std::string sha256_revision(const std::string& data) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return std::string("sha256:") + hex;
}

// The directory exists, is a directory, and we may create files in it.
bool check_out_dir(const std::string& dir, std::string& why) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    why = "output directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    why = "output directory " + dir + ": not a directory";
    return false;
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    why = "output directory " + dir + " is not writable: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

int validate_tables(const Loaded& loaded, const std::vector<size_t>& devices,
                    const std::vector<table::Table>& tables) {
  z3::context ctx;
  verify::Encoding enc(ctx, *loaded.policy, *loaded.program, loaded.inventory,
                       verify::Scope::Nodes);
  verify::TranslationValidator tv(enc);
  int status = kPass;
  for (size_t i = 0; i < devices.size(); ++i) {
    const std::string& name = loaded.inventory.devices[devices[i]].hostname;
    verify::Validation v = tv.validate(devices[i], tables[i].zones());
    if (v.answer == verify::Answer::Sat) {
      error(verify::describe_mismatch(name, *v.mismatch));
      status = kPolicyFailure;
    } else if (v.answer == verify::Answer::Unknown) {
      error("translation validation of " + name +
            " gave up (solver resource limit): the table is not proved; rerun with "
            "--no-verify to skip the proof");
      if (status == kPass) status = kUsageOrIO;
    }
  }
  return status;
}

int compile_bundles(const Loaded& loaded, const Inputs& in, const BundleOptions& o) {
  const Inventory& inv = loaded.inventory;
  // 1. Every input first, cheapest first: nothing is compiled or written
  //    until all of them are good.
  if (o.sign_key.empty()) {
    error("--format bundle needs --sign-key FILE (make one with: aclc keygen --out FILE)");
    return kUsageOrIO;
  }
  if (o.out_dir.empty()) {
    error("--format bundle needs --out DIR: bundles are binary, one file per device");
    return kUsageOrIO;
  }
  std::string why;
  auto key = read_signing_key(o.sign_key, why);
  if (!key) {
    error(why);
    return kUsageOrIO;
  }
  if (!check_out_dir(o.out_dir, why)) {
    error(why);
    return kUsageOrIO;
  }
  std::string ttl_error;
  auto ttl_ns = policy::parse_go_duration(o.ttl, &ttl_error);
  if (!ttl_ns || *ttl_ns < 1'000'000'000) {
    error("--ttl " + o.ttl + ": " + (ttl_ns ? "must be at least 1s" : ttl_error));
    return kUsageOrIO;
  }
  std::vector<size_t> devices;
  if (!o.node.empty()) {
    const Device* dev = inv.find_device(o.node);
    if (!dev) {
      error("no device named \"" + o.node + "\" in " + in.nodes_path);
      return kUsageOrIO;
    }
    devices.push_back(size_t(dev - inv.devices.data()));
  } else {
    for (size_t i = 0; i < inv.devices.size(); ++i) devices.push_back(i);
  }
  for (size_t d : devices)
    if (!safe_file_name(inv.devices[d].hostname)) {
      error("device \"" + inv.devices[d].hostname + "\" has a hostname that cannot be a file name");
      return kUsageOrIO;
    }
  bundle::Stamp stamp;
  if (o.revision.empty()) {
    auto text = read_file(in.policy_path, why);
    if (!text) {
      error(why);
      return kUsageOrIO;
    }
    stamp.revision = sha256_revision(*text);
  } else {
    stamp.revision = o.revision;
  }
  uint64_t now = uint64_t(std::time(nullptr));
  stamp.serial = o.serial ? *o.serial : now;
  stamp.issued_at = now;
  stamp.expires_at = now + uint64_t(*ttl_ns / 1'000'000'000);

  // 2. Per device: its table, its proof, its sealed bundle, staged under a
  //    hidden name in the output directory (tables and bytes are not kept:
  //    at 10k devices they would not fit in memory). Any failure removes
  //    every staged file; only when all devices are done do the bundles take
  //    their names, each by one rename.
  table::Builder builder(*loaded.program, inv);
  peers::Visibility visibility(*loaded.program, inv);
  std::optional<z3::context> ctx;
  std::optional<verify::Encoding> enc;
  std::optional<verify::TranslationValidator> tv;
  if (o.verify) {
    ctx.emplace();
    enc.emplace(*ctx, *loaded.policy, *loaded.program, inv, verify::Scope::Nodes);
    tv.emplace(*enc);
  }
  std::vector<std::pair<std::string, std::string>> staged;  // staged, final
  auto abandon = [&](int code) {
    for (const auto& [tmp, final_path] : staged) ::unlink(tmp.c_str());
    return code;
  };
  int proof = kPass;
  for (size_t d : devices) {
    const std::string& name = inv.devices[d].hostname;
    table::Table t = builder.for_device(d);
    if (tv) {
      verify::Validation v = tv->validate(d, t.zones());
      if (v.answer == verify::Answer::Sat) {
        error(verify::describe_mismatch(name, *v.mismatch));
        proof = kPolicyFailure;
      } else if (v.answer == verify::Answer::Unknown) {
        error("translation validation of " + name +
              " gave up (solver resource limit): the table is not proved; rerun with "
              "--no-verify to skip the proof");
        if (proof == kPass) proof = kUsageOrIO;
      }
      if (proof != kPass) continue;  // report every mismatch, write nothing
    }
    bundle::Bundle b = bundle::make_bundle(inv, d, t, visibility.peers_of(d), stamp);
    auto bytes = bundle::seal(b, *key, why);
    if (!bytes) {
      error("bundle of " + name + ": " + why);
      return abandon(kUsageOrIO);
    }
    std::string final_path = o.out_dir + "/" + name + ".bundle";
    std::string tmp = o.out_dir + "/." + name + ".bundle.staged." + std::to_string(::getpid());
    if (!write_file_atomic(tmp, std::string(bytes->begin(), bytes->end()), why)) {
      error(why);
      return abandon(kUsageOrIO);
    }
    staged.emplace_back(std::move(tmp), std::move(final_path));
  }
  if (proof != kPass) return abandon(proof);
  for (const auto& [tmp, final_path] : staged) {
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      error("cannot write " + final_path + ": " + std::strerror(errno));
      return abandon(kUsageOrIO);
    }
  }
  const auto& files = staged;
  std::fprintf(stderr, "aclc: wrote %zu signed bundle%s to %s (serial %llu, revision %s)%s\n",
               files.size(), files.size() == 1 ? "" : "s", o.out_dir.c_str(),
               static_cast<unsigned long long>(stamp.serial), stamp.revision.c_str(),
               o.verify ? ", every table proved equal to the policy" : "");
  return kPass;
}

}  // namespace aclc::cli
