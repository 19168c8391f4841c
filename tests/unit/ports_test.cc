#include "compiler/front/ports.h"

#include <doctest/doctest.h>

#include "compiler/front/duration.h"
#include "compiler/front/proto.h"

using namespace aclc;
using namespace aclc::policy;

namespace {

std::string range_error(std::string_view s) {
  std::string err;
  return parse_port_range(s, &err) ? "" : err;
}

std::string ip_error(std::string_view s) {
  std::string err;
  return parse_grant_ip(s, Pos{}, &err) ? "" : err;
}

}  // namespace

TEST_CASE("ports: host:ports splits on the last colon") {
  std::string err;
  auto hp = split_host_ports("tag:server:22", &err);
  REQUIRE(hp);
  CHECK(hp->host == "tag:server");
  CHECK(hp->ports == "22");
  hp = split_host_ports("fd00:1::/64:443", &err);
  CHECK(hp->host == "fd00:1::/64");
  hp = split_host_ports("[fd7a::1]:22", &err);
  CHECK(hp->host == "[fd7a::1]");
  CHECK(hp->ports == "22");
  CHECK_FALSE(split_host_ports("web", &err));
  CHECK(err == "hostport must contain a colon (\":\")");
}

TEST_CASE("ports: ranges with Tailscale's errors") {
  std::string err;
  CHECK(*parse_port_range("*", &err) == PortRange::all());
  CHECK(*parse_port_range("22", &err) == PortRange{22, 22});
  CHECK(*parse_port_range("80-90", &err) == PortRange{80, 90});
  CHECK(*parse_port_range("1-65535", &err) == PortRange{1, 65535});
  CHECK(range_error("ssh") == "port range \"ssh\": invalid first integer");
  CHECK(range_error("self") == "port range \"self\": invalid first integer");
  CHECK(range_error("0") == "port range \"0\": first port must be >0, or use '*' for wildcard");
  CHECK(range_error("1-2-3") == "port range \"1-2-3\": too many dashes(-)");
  CHECK(range_error("10-x") == "port range \"10-x\": invalid last integer");
  CHECK(range_error("90-80") == "port range \"90-80\": first port must be >= last port");
  CHECK(range_error("65536") == "port range \"65536\": invalid first integer");
  CHECK(range_error("-5") == "port range \"-5\": invalid first integer");
  CHECK(range_error("") == "invalid port list: \"\"");
}

TEST_CASE("ports: comma lists keep written order") {
  std::string err;
  auto l = parse_port_list("443,22,80-90", &err);
  REQUIRE(l);
  REQUIRE(l->size() == 3);
  CHECK((*l)[0] == PortRange{443, 443});
  CHECK((*l)[2] == PortRange{80, 90});
  CHECK_FALSE(parse_port_list("22,", &err));
  CHECK(err == "invalid port list: \"\"");
  CHECK_FALSE(parse_port_list("22,ssh", &err));
  CHECK(err == "port range \"ssh\": invalid first integer");
  CHECK(parse_single_port("22") == 22);
  CHECK_FALSE(parse_single_port("*"));
  CHECK_FALSE(parse_single_port("80-90"));
  CHECK_FALSE(parse_single_port("65536"));
}

TEST_CASE("ports: grant ip entries") {
  std::string err;
  auto all = parse_grant_ip("*", Pos{}, &err);
  REQUIRE(all);
  CHECK_FALSE(all->proto);
  CHECK(all->ports[0] == PortRange::all());
  auto bare = parse_grant_ip("47", Pos{}, &err);  // a port, not a protocol
  CHECK_FALSE(bare->proto);
  CHECK(bare->ports[0] == PortRange{47, 47});
  auto tcp = parse_grant_ip("TCP:443", Pos{}, &err);
  REQUIRE(tcp->proto);
  CHECK(tcp->proto->number == 6);
  auto icmp = parse_grant_ip("icmp:*", Pos{}, &err);
  CHECK(icmp->proto->number == 1);
  CHECK(icmp->ports[0].is_all());
  CHECK(parse_grant_ip("58:*", Pos{}, &err)->proto->number == 58);
  CHECK_FALSE(parse_grant_ip("*:22", Pos{}, &err)->proto);
  CHECK(ip_error("icmp") == "port range \"icmp\": invalid first integer");
  CHECK(ip_error("tcp:0") == "port range \"0\": first port must be >0, or use '*' for wildcard");
  CHECK(ip_error("22,80") == "port range \"22,80\": invalid first integer");
  CHECK(ip_error("bogus:22") == "proto name \"bogus\" not known; use protocol number 0-255");
  CHECK(ip_error("") == "empty string");
  CHECK(ip_error(":22") == "empty protocol");
}

TEST_CASE("proto: names and numbers") {
  std::string err;
  CHECK(parse_proto_number("tcp", &err) == 6);
  CHECK(parse_proto_number("UDP", &err) == 17);
  CHECK(parse_proto_number("ipv6-icmp", &err) == 58);
  CHECK(parse_proto_number("icmp", &err) == 1);
  CHECK(parse_proto_number("sctp", &err) == 132);
  CHECK(parse_proto_number("255", &err) == 255);
  CHECK_FALSE(parse_proto_number("256", &err));
  CHECK(err == "proto name \"256\" not known; use protocol number 0-255");
  CHECK_FALSE(parse_proto_number("http", &err));
  CHECK(std::string(proto_name(6)) == "tcp");
  CHECK(proto_name(200) == nullptr);
}

TEST_CASE("duration: Go's ParseDuration and String") {
  std::string err;
  CHECK(parse_go_duration("12h", &err) == int64_t(12) * 3600 * 1000000000);
  CHECK(parse_go_duration("1h30m", &err) == int64_t(90) * 60 * 1000000000);
  CHECK(parse_go_duration("1.5s", &err) == 1500000000);
  CHECK(parse_go_duration("-1m", &err) == int64_t(-60) * 1000000000);
  CHECK(parse_go_duration("0", &err) == 0);
  CHECK_FALSE(parse_go_duration("abc", &err));
  CHECK(err == "time: invalid duration \"abc\"");
  CHECK_FALSE(parse_go_duration("10", &err));
  CHECK(err == "time: missing unit in duration \"10\"");
  CHECK_FALSE(parse_go_duration("10y", &err));
  CHECK(err == "time: unknown unit \"y\" in duration \"10y\"");
  CHECK_FALSE(parse_go_duration("", &err));
  CHECK_FALSE(parse_go_duration("99999999999999999999h", &err));
  CHECK(format_go_duration(int64_t(200) * 3600 * 1000000000) == "200h0m0s");
  CHECK(format_go_duration(int64_t(168) * 3600 * 1000000000 + 1000000000) == "168h0m1s");
  CHECK(format_go_duration(int64_t(-60) * 1000000000) == "-1m0s");
  CHECK(format_go_duration(1500000000) == "1.5s");
  CHECK(format_go_duration(500000000) == "500ms");
  CHECK(format_go_duration(0) == "0s");
}
