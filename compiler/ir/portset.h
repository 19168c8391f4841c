// Port sets (merged inclusive ranges over 0..65535) and IP protocol sets.
//
// These are for reasoning about what a rule allows (verifier, overlap and
// shadowing checks). The wire format keeps port ranges as written, unmerged;
// building FilterRule.DstPorts is the back end's job.
#pragma once

#include <bitset>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace aclc {

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive

  static constexpr PortRange all() { return {0, 65535}; }
  bool is_all() const { return first == 0 && last == 65535; }
  bool contains(uint16_t p) const { return first <= p && p <= last; }
  friend auto operator<=>(const PortRange&, const PortRange&) = default;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

// Like Tailscale's tailcfg.PortRange.String(): "*", "22" or "80-443".
std::string to_string(const PortRange& r);

class PortSet {
 public:
  PortSet() = default;
  static PortSet all();
  static PortSet of(PortRange r);

  void add(uint16_t port) { add(PortRange{port, port}); }
  // A range with first > last adds nothing.
  void add(PortRange r);

  bool empty() const { return ranges_.empty(); }
  bool is_all() const;
  bool contains(uint16_t port) const;
  bool contains(PortRange r) const;
  bool contains(const PortSet& o) const;
  bool overlaps(const PortSet& o) const;
  // Ascending, merged (no two ranges touch).
  std::span<const PortRange> ranges() const { return ranges_; }

  friend bool operator==(const PortSet&, const PortSet&) = default;
  friend PortSet operator|(const PortSet& a, const PortSet& b);
  friend PortSet operator&(const PortSet& a, const PortSet& b);
  friend PortSet operator-(const PortSet& a, const PortSet& b);
  PortSet& operator|=(const PortSet& o) { return *this = *this | o; }
  PortSet& operator&=(const PortSet& o) { return *this = *this & o; }
  PortSet& operator-=(const PortSet& o) { return *this = *this - o; }

 private:
  std::vector<PortRange> ranges_;
};

std::ostream& operator<<(std::ostream& os, const PortSet& s);  // "{22, 80-443}"

// A set of IP protocol numbers 0..255.
class ProtoSet {
 public:
  ProtoSet() = default;
  ProtoSet(std::initializer_list<uint8_t> protos);
  // TCP, UDP, ICMPv4, ICMPv6 = {6, 17, 1, 58}: what a Tailscale client
  // allows when a rule's IPProto is absent.
  static ProtoSet default_protos();
  static ProtoSet all();

  void add(uint8_t proto) { bits_.set(proto); }
  void remove(uint8_t proto) { bits_.reset(proto); }
  bool contains(uint8_t proto) const { return bits_.test(proto); }
  bool empty() const { return bits_.none(); }
  size_t count() const { return bits_.count(); }
  // Ascending protocol numbers.
  std::vector<int> to_vector() const;

  // Iterates the members in ascending order.
  class iterator {
   public:
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    int operator*() const { return pos_; }
    iterator& operator++();
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) { return a.pos_ == b.pos_; }

   private:
    friend class ProtoSet;
    iterator(const ProtoSet* s, int pos) : set_(s), pos_(pos) {}
    const ProtoSet* set_ = nullptr;
    int pos_ = 256;
  };
  iterator begin() const;
  iterator end() const { return iterator(this, 256); }

  friend bool operator==(const ProtoSet&, const ProtoSet&) = default;
  friend ProtoSet operator|(const ProtoSet& a, const ProtoSet& b) { return ProtoSet(a.bits_ | b.bits_); }
  friend ProtoSet operator&(const ProtoSet& a, const ProtoSet& b) { return ProtoSet(a.bits_ & b.bits_); }
  friend ProtoSet operator-(const ProtoSet& a, const ProtoSet& b) { return ProtoSet(a.bits_ & ~b.bits_); }
  ProtoSet& operator|=(const ProtoSet& o) { bits_ |= o.bits_; return *this; }
  ProtoSet& operator&=(const ProtoSet& o) { bits_ &= o.bits_; return *this; }
  ProtoSet& operator-=(const ProtoSet& o) { bits_ &= ~o.bits_; return *this; }

 private:
  explicit ProtoSet(const std::bitset<256>& bits) : bits_(bits) {}
  std::bitset<256> bits_;
};

std::ostream& operator<<(std::ostream& os, const ProtoSet& s);  // "{1, 6, 17, 58}"

}  // namespace aclc
