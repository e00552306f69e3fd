// restic's repository formats, byte-exact (see docs/repository.md): config,
// key files, master key, pack headers, index, trees and nodes, snapshots,
// locks, times, and the Go JSON / Go quoting rules restic's files follow.
// Pure encode/decode, no I/O. Decoders throw wph::Error (WPH_EINVALID,
// category "repo") with the reason; callers add the file name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/crypto.hpp"

namespace wph::repo {

// ---- encodings ----
std::string base64_encode(std::string_view data);
// Standard alphabet with padding (as Go's decoder requires); nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view text);
// A JSON string literal (with quotes) as Go's encoding/json writes it:
// <, >, & and U+2028/9 escaped, invalid UTF-8 replaced by U+FFFD.
std::string go_json_string(std::string_view s);
// Go strconv.Quote without the outer quotes, and its inverse (nullopt on a bad escape).
std::string go_quote_body(std::string_view s);
std::optional<std::string> go_unquote_body(std::string_view s);

// ---- time, as Go's time.Time JSON (RFC 3339 with nanoseconds) ----
struct Time {
    std::int64_t sec = 0;     // Unix seconds
    std::int32_t nsec = 0;    // 0..999999999
    std::int32_t offset = 0;  // seconds east of UTC, of the writer's zone
    bool operator==(const Time &o) const { return sec == o.sec && nsec == o.nsec; }
    bool operator<(const Time &o) const { return sec < o.sec || (sec == o.sec && nsec < o.nsec); }
};
Time time_now();  // in the local zone
Time time_from(std::int64_t sec, std::int32_t nsec);  // in the local zone
std::string format_time(const Time &t);
std::optional<Time> parse_time(std::string_view s);

// ---- config ----
struct Config {
    unsigned version = 2;
    std::string id;  // 64 hex
    std::uint64_t chunker_polynomial = 0;
};
std::string encode_config(const Config &c);
Config decode_config(std::string_view json);

// ---- key files and the master key ----
struct KeyFile {
    Time created;
    std::string username, hostname;
    std::uint64_t N = 32768;
    std::uint32_t r = 8, p = 1;
    std::string salt;  // raw, 64 bytes
    std::string data;  // raw sealed master key JSON
};
std::string encode_key_file(const KeyFile &k);
KeyFile decode_key_file(std::string_view json);
std::string encode_master_key(const MasterKey &k);
MasterKey decode_master_key(std::string_view json);

// ---- blobs, packs, index ----
enum class BlobType : std::uint8_t { data = 0, tree = 1 };
const char *blob_type_name(BlobType t);

struct PackEntry {
    BlobType type = BlobType::data;
    Id id{};
    std::uint32_t offset = 0;
    std::uint32_t length = 0;             // stored (encrypted) length
    std::uint32_t uncompressed_length = 0;  // 0: not compressed
};
// Plaintext of a pack header (entries in pack order).
std::string encode_pack_header(const std::vector<PackEntry> &entries);
// Entries with offsets filled in; v1 refuses compressed entry types.
std::vector<PackEntry> decode_pack_header(std::string_view plain, unsigned repo_version);
// Size of the encrypted header for these entries.
std::size_t pack_header_size(const std::vector<PackEntry> &entries);

struct IndexPack {
    Id id{};
    std::vector<PackEntry> blobs;
};
struct IndexFile {
    std::vector<Id> supersedes;
    std::vector<IndexPack> packs;
};
std::string encode_index(const IndexFile &idx);
IndexFile decode_index(std::string_view json, unsigned repo_version);

// ---- trees ----
enum class NodeType { file, dir, symlink, dev, chardev, fifo, socket };
const char *node_type_name(NodeType t);

struct ExtendedAttribute {
    std::string name, value;
};

struct Node {
    std::string name;
    NodeType type = NodeType::file;
    std::uint32_t mode = 0;  // Go os.FileMode
    Time mtime, atime, ctime;
    std::uint32_t uid = 0, gid = 0;
    std::string user, group;
    std::uint64_t inode = 0, device_id = 0, size = 0, links = 0;
    std::string linktarget;
    std::vector<ExtendedAttribute> xattrs;
    std::uint64_t device = 0;
    std::vector<Id> content;  // files
    std::optional<Id> subtree;  // dirs
    std::string error;
};
// Go FileMode <-> POSIX st_mode (type bits, permissions, setuid/setgid/sticky).
std::uint32_t go_mode_from_posix(std::uint32_t st_mode);
std::uint32_t posix_mode_from_go(std::uint32_t go_mode);  // permission and special bits only

// Nodes must be sorted by name (byte order) and unique; throws otherwise.
std::string encode_tree(const std::vector<Node> &nodes);
std::vector<Node> decode_tree(std::string_view json);

// ---- snapshots ----
struct Snapshot {
    Time time;
    std::optional<Id> parent;
    Id tree{};
    std::vector<std::string> paths;
    std::string hostname, username;
    std::uint32_t uid = 0, gid = 0;
    std::vector<std::string> excludes, tags;
    std::optional<Id> original;
};
std::string encode_snapshot(const Snapshot &s);
Snapshot decode_snapshot(std::string_view json);

// ---- locks ----
struct Lock {
    Time time;
    bool exclusive = false;
    std::string hostname, username;
    std::int64_t pid = 0;
    std::uint32_t uid = 0, gid = 0;
};
std::string encode_lock(const Lock &l);
Lock decode_lock(std::string_view json);

}  // namespace wph::repo
