#include "tests/mesh/bundle_kit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/mesh/error.h"
#include "tests/mesh/process.h"

namespace mesh {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + json_string(items[i]);
  return out + "]";
}

}  // namespace

std::string devices_json(const std::vector<DeviceEntry>& devices) {
  std::set<std::string> users;
  for (const DeviceEntry& d : devices)
    if (!d.user.empty()) users.insert(d.user);
  std::string out = "{\"users\": [";
  bool first = true;
  for (const std::string& u : users) {
    out += (first ? "" : ", ") + std::string("{\"name\": ") + json_string(u.substr(0, u.find('@'))) +
           ", \"email\": " + json_string(u) + "}";
    first = false;
  }
  out += "],\n \"devices\": [";
  for (size_t i = 0; i < devices.size(); ++i) {
    const DeviceEntry& d = devices[i];
    out += i ? ",\n  {" : "\n  {";
    out += "\"hostname\": " + json_string(d.hostname) + ", \"addresses\": " + json_list(d.addresses);
    if (!d.user.empty()) out += ", \"user\": " + json_string(d.user);
    out += ", \"tags\": " + json_list(d.tags);
    if (!d.wireguard_public_key.empty()) out += ", \"wireguardPublicKey\": " + json_string(d.wireguard_public_key);
    if (!d.endpoint.empty()) out += ", \"endpoints\": " + json_list({d.endpoint});
    out += "}";
  }
  return out + "]}\n";
}

BundleKit::BundleKit(std::string aclc, std::string dir) : aclc_(std::move(aclc)), dir_(std::move(dir)) {}

const std::string& BundleKit::control_public_key() {
  if (public_.empty()) {
    secret_ = dir_ + "/control.key";
    must(quote(aclc_) + " keygen --out " + quote(secret_));
    public_ = secret_ + ".pub";
  }
  return public_;
}

std::string BundleKit::compile(const std::string& policy_path, const std::string& devices_path,
                               unsigned long serial, bool verify) {
  control_public_key();
  std::string out = dir_ + "/bundles-" + std::to_string(serial);
  must("mkdir -p " + quote(out));
  must(quote(aclc_) + " compile " + quote(policy_path) + " --nodes " + quote(devices_path) +
           " --format bundle --sign-key " + quote(secret_) + " --serial " + std::to_string(serial) + " --out " +
           quote(out) + (verify ? "" : " --no-verify"),
       nullptr, Millis(120000));
  return out;
}

void write_file(const std::string& path, const std::string& text, unsigned mode) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("open " + tmp);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n <= 0) {
      close(fd);
      throw_errno("write " + tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0 || close(fd) != 0) throw_errno("close " + tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename " + tmp);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace mesh
