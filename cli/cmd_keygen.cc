// aclc keygen: the Ed25519 key that signs device bundles.
#include <CLI/CLI.hpp>
#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/file_io.h"
#include "cli/output.h"
#include "compiler/bundle/bundle.h"

namespace aclc::cli {
namespace {

struct KeygenOptions {
  std::string out;         // the secret key
  std::string public_out;  // default: out + ".pub"
  bool force = false;
};

int run_keygen(const KeygenOptions& o) {
  std::string pub_path = o.public_out.empty() ? o.out + ".pub" : o.public_out;
  struct stat st {};
  if (!o.force && ::stat(o.out.c_str(), &st) == 0) {
    // Losing a signing key strands every node that trusts it.
    std::fprintf(stderr,
                 "aclc: error: %s exists; refusing to overwrite a signing key "
                 "(pass --force to replace it)\n",
                 o.out.c_str());
    return kUsageOrIO;
  }
  bundle::SigningKey key = bundle::SigningKey::generate();
  std::string secret = key.to_text();
  std::string pub = bundle::public_key_to_text(key.public_key());
  std::string err;
  bool ok = write_file_atomic(o.out, secret, err, 0600);
  sodium_memzero(secret.data(), secret.size());
  if (!ok || !write_file_atomic(pub_path, pub, err)) {
    std::fprintf(stderr, "aclc: error: %s\n", err.c_str());
    return kUsageOrIO;
  }
  std::fputs(pub.c_str(), stdout);
  std::fprintf(stderr, "aclc: wrote the signing key to %s (mode 0600) and its public key to %s\n",
               o.out.c_str(), pub_path.c_str());
  return kPass;
}

}  // namespace

Runner add_keygen_command(CLI::App& app);
const CommandRegistration kRegister70(70, add_keygen_command);

Runner add_keygen_command(CLI::App& app) {
  auto o = std::make_shared<KeygenOptions>();
  auto* cmd = app.add_subcommand(
      "keygen",
      "Make the Ed25519 key that signs device bundles (aclc compile --format "
      "bundle --sign-key FILE). Prints the public key, which every node "
      "needs to verify its bundle.");
  cmd->add_option("-o,--out", o->out, "Where to write the secret key (mode 0600)")->required();
  cmd->add_option("--public", o->public_out, "Where to write the public key (default: OUT.pub)");
  cmd->add_flag("--force", o->force, "Replace an existing key");
  cmd->footer("Exit codes: 0 written, 2 usage or I/O error.");
  return [o]() { return run_keygen(*o); };
}

}  // namespace aclc::cli
