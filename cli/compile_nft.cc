#include "cli/compile_nft.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "cli/compile_bundle.h"
#include "cli/file_io.h"
#include "cli/output.h"
#include "compiler/back/nft.h"
#include "compiler/back/table_build.h"

namespace aclc::cli {
namespace {

int fail(const std::string& msg) {
  std::fprintf(stderr, "aclc: error: %s\n", msg.c_str());
  return kUsageOrIO;
}

bool writable_dir(const std::string& dir, std::string& why) {
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

bool safe_file_name(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos;
}

}  // namespace

int compile_nft(const Loaded& loaded, const Inputs& in, const NftOptions& o) {
  const Inventory& inv = loaded.inventory;
  if (!nft::valid_iface(o.iface))
    return fail("--iface \"" + o.iface + "\": not an interface name (1-15 characters of A-Z a-z 0-9 _ . -)");
  std::vector<size_t> devices;
  if (!o.node.empty()) {
    const Device* dev = inv.find_device(o.node);
    if (!dev) return fail("no device named \"" + o.node + "\" in " + in.nodes_path);
    devices.push_back(static_cast<size_t>(dev - inv.devices.data()));
  } else {
    if (o.out_dir.empty())
      return fail("--format nft writes one ruleset per device: give --out DIR, or --node NAME for stdout");
    for (size_t i = 0; i < inv.devices.size(); ++i) devices.push_back(i);
  }
  std::string why;
  if (!o.out_dir.empty()) {
    if (!writable_dir(o.out_dir, why)) return fail(why);
    for (size_t d : devices) {
      if (!safe_file_name(inv.devices[d].hostname))
        return fail("device \"" + inv.devices[d].hostname + "\": its hostname cannot be a file name");
    }
  }

  table::Builder builder(*loaded.program, inv);
  std::vector<table::Table> tables;
  tables.reserve(devices.size());
  for (size_t d : devices) tables.push_back(builder.for_device(d));
  if (o.verify) {
    int st = validate_tables(loaded, devices, tables);
    if (st != kPass) return st;
  }
  nft::Options opts;
  opts.iface = o.iface;
  std::vector<std::pair<std::string, std::string>> files;
  for (size_t i = 0; i < devices.size(); ++i) {
    const std::string& host = inv.devices[devices[i]].hostname;
    files.emplace_back(o.out_dir + "/" + host + ".nft", nft::ruleset(tables[i], host, opts));
  }
  if (o.out_dir.empty()) {
    std::fwrite(files[0].second.data(), 1, files[0].second.size(), stdout);
    return std::fflush(stdout) == 0 ? kPass : kUsageOrIO;
  }
  for (const auto& [path, text] : files) {
    if (!write_file_atomic(path, text, why)) return fail(why);
  }
  return kPass;
}

}  // namespace aclc::cli
