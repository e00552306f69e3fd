// Byte-exact tests of restic's repository formats (libwphost/repo/format.*)
// against files restic 0.14.0 (Debian 12, go1.19.8) wrote. The section
// numbers (§) refer to the restic format fact sheet (RESTIC-FORMAT.md).
//
// How the fixtures were made: `restic init` (v1 and v2 repositories), a
// backup of a directory of oddly named and special files under several TZ
// settings, `restic cat blob <tree>` for the tree blobs (their SHA-256 is
// checked below), and the snapshot, index, lock, config and key files
// decrypted with the repository's master key (AES-256-CTR; v2 files
// additionally zstd-decompressed after the 0x02 prefix byte). Pack headers
// are the decrypted header plaintexts of the packs the index files describe.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "engine/error.hpp"
#include "repo/crypto.hpp"
#include "repo/format.hpp"
#include "wphost/common.h"

using namespace wph::repo;
using namespace std::string_literals;

namespace {

// ==================================================================== fixtures: tree blobs (§8)

// v2 repo, TZ=Europe/Berlin: the backed-up directory (setuid file, odd names, empty file, empty dir, fifo, symlink, subdir). ID 02b3fe21587ae72acc852a493849b6df7a6ee66b8dd98277c71d7eff3ebde43d
const std::string kTreeV2Src =
    R"~({"nodes":[{"name":"a.txt","type":"file","mode":8389101,"mtime":"2023-01-02T04:04:05.123456789+01:00","atime":"2023-01-02T04:04:05.123456789+01:00","ctime":"2026-11-23T05:25:58.516847787+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961630,"device_id":65024,"size":12,"links":1,"content":["a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"]},)~"
    R"~({"name":"bad\\xffname","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.515942552+01:00","atime":"2026-11-23T05:25:58.515942552+01:00","ctime":"2026-11-23T05:25:58.515942552+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961637,"device_id":65024,"size":1,"links":1,"content":["594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06"]},)~"
    R"~({"name":"empty","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.511665906+01:00","atime":"2026-11-23T05:25:58.511665906+01:00","ctime":"2026-11-23T05:25:58.511665906+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961631,"device_id":65024,"links":1,"content":[]},)~"
    R"~({"name":"emptydir","type":"dir","mode":2147484141,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961633,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},)~"
    R"~({"name":"fifo","type":"fifo","mode":33554852,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961635,"device_id":65024,"content":null},)~"
    R"~({"name":"link","type":"symlink","mode":134218239,"mtime":"2023-01-02T04:04:05+01:00","atime":"2023-01-02T04:04:05+01:00","ctime":"2026-11-23T05:25:58.516847787+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961632,"device_id":65024,"links":1,"linktarget":"a.txt","content":null},)~"
    R"~({"name":"sub","type":"dir","mode":2147484141,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961629,"device_id":65024,"content":null,"subtree":"953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb"},)~"
    R"~({"name":"we\\\"ird\\\\na\\tme\u003c\u0026\u003e)~" "\xc3\xa9" R"~(","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.515942552+01:00","atime":"2026-11-23T05:25:58.515942552+01:00","ctime":"2026-11-23T05:25:58.515942552+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961636,"device_id":65024,"size":1,"links":1,"content":["a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"]})~"
    R"~(]})~" "\n";

// v2 repo: a directory holding one small file. ID 953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb
const std::string kTreeV2Sub =
    R"~({"nodes":[{"name":"f","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961634,"device_id":65024,"size":1,"links":1,"content":["2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"]})~"
    R"~(]})~" "\n";

// v2 repo: root tree, /tmp (sticky dir 1777). ID e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac
const std::string kTreeV2Tmp =
    R"~({"nodes":[{"name":"tmp","type":"dir","mode":2148532735,"mtime":"2026-11-23T05:26:03.380847947+01:00","atime":"2026-11-23T05:26:03.380847947+01:00","ctime":"2026-11-23T05:26:03.380847947+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":247066,"device_id":65024,"content":null,"subtree":"6da95ef55dc77b0b9e3507d5780217b2f8471369c5a8dbcc89e66e944bb7da2a"})~"
    R"~(]})~" "\n";

// v1 repo, TZ=UTC: the same directory as kTreeV2Src. ID dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9
const std::string kTreeV1Src =
    R"~({"nodes":[{"name":"a.txt","type":"file","mode":8389101,"mtime":"2023-01-02T03:04:05.123456789Z","atime":"2023-01-02T03:04:05.123456789Z","ctime":"2026-11-23T04:25:58.516847787Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961630,"device_id":65024,"size":12,"links":1,"content":["a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"]},)~"
    R"~({"name":"bad\\xffname","type":"file","mode":420,"mtime":"2026-11-23T04:25:58.515942552Z","atime":"2026-11-23T04:25:58.515942552Z","ctime":"2026-11-23T04:25:58.515942552Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961637,"device_id":65024,"size":1,"links":1,"content":["594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06"]},)~"
    R"~({"name":"empty","type":"file","mode":420,"mtime":"2026-11-23T04:25:58.511665906Z","atime":"2026-11-23T04:25:58.511665906Z","ctime":"2026-11-23T04:25:58.511665906Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961631,"device_id":65024,"links":1,"content":[]},)~"
    R"~({"name":"emptydir","type":"dir","mode":2147484141,"mtime":"2026-11-23T04:25:58.513124778Z","atime":"2026-11-23T04:25:58.513124778Z","ctime":"2026-11-23T04:25:58.513124778Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961633,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},)~"
    R"~({"name":"fifo","type":"fifo","mode":33554852,"mtime":"2026-11-23T04:25:58.513124778Z","atime":"2026-11-23T04:25:58.513124778Z","ctime":"2026-11-23T04:25:58.513124778Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961635,"device_id":65024,"content":null},)~"
    R"~({"name":"link","type":"symlink","mode":134218239,"mtime":"2023-01-02T03:04:05Z","atime":"2023-01-02T03:04:05Z","ctime":"2026-11-23T04:25:58.516847787Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961632,"device_id":65024,"links":1,"linktarget":"a.txt","content":null},)~"
    R"~({"name":"sub","type":"dir","mode":2147484141,"mtime":"2026-11-23T04:25:58.513124778Z","atime":"2026-11-23T04:25:58.513124778Z","ctime":"2026-11-23T04:25:58.513124778Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961629,"device_id":65024,"content":null,"subtree":"160f1f3d521d131d37da0e73966d39df0fe440b868a025ecfbc01e1fa43ad09a"},)~"
    R"~({"name":"we\\\"ird\\\\na\\tme\u003c\u0026\u003e)~" "\xc3\xa9" R"~(","type":"file","mode":420,"mtime":"2026-11-23T04:25:58.515942552Z","atime":"2026-11-23T04:25:58.515942552Z","ctime":"2026-11-23T04:25:58.515942552Z","uid":0,"gid":0,"user":"root","group":"root","inode":10961636,"device_id":65024,"size":1,"links":1,"content":["a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"]})~"
    R"~(]})~" "\n";

// v2 repo, TZ=America/St_Johns (-03:30): control characters and invalid UTF-8 in names, hard links, a two-blob file, a pre-1970 time, 1 ns and 10 ns fractions, xattrs, block and char devices, setgid/sticky dirs, setuid+setgid file, a uid without a user name. ID c8ba76ed51b531e260b130783c35df16e10dc693a865ed8535166abe60ebcf42
const std::string kTreeOdd =
    R"~({"nodes":[{"name":"back\\\\slash","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266407341-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993989,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"bad\\xffname","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266699286-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993998,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"bell\\a","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266558967-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993992,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"big","type":"file","mode":420,"mtime":"2026-11-23T00:58:05.272851949-03:30","atime":"2026-11-23T00:58:05.272851949-03:30","ctime":"2026-11-23T00:58:05.272851949-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994005,"device_id":65024,"size":3000000,"links":1,"content":["383a0d6a0d0a3526cda821af2f532ed402a38dc39ba6eaf2610ea1a412b6f2c2","48f95ffd8343607a4a98f27781fecc47a36a23a659d011c47df65a106fe007a1"]},)~"
    R"~({"name":"big\\xf5x","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266814597-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994002,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"bs\\b","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266629542-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993995,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"c\\x01tl","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266176588-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993981,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"c1\\u0085","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266304879-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993985,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"cr\\r","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266652476-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993996,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"del\\x7f","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266223828-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993982,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"emoji)~" "\xf0\x9f\x98\x80" R"~(","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266355444-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993987,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"esc\\x1b[","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266250408-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993983,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"ff\\f","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266605957-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993994,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"fffd)~" "\xef\xbf\xbd" R"~(","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266332009-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993986,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"lone\\x80cont","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266722771-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993999,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"nl\\nx","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266275906-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993984,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"ns1","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.00000001-03:30","atime":"2023-11-14T18:43:20.00000001-03:30","ctime":"2026-11-23T00:58:05.266877571-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994004,"device_id":65024,"size":1,"links":1,"content":["1b16b1df538ba12dc3f97edbb85caa7050d46c148134290feba80f8236c83db9"]},)~"
    R"~({"name":"old","type":"file","mode":420,"mtime":"1960-06-29T16:09:59.5-02:30","atime":"1960-06-29T16:09:59.5-02:30","ctime":"2026-11-23T00:58:05.26684973-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994003,"device_id":65024,"size":3,"links":1,"content":["cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4"]},)~"
    R"~({"name":"over\\xc0\\xafl","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266759806-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994000,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"single'quote","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266431167-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993990,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"sp ace","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266814597-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993991,"device_id":65024,"size":1,"links":2,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"sp ace2","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266814597-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993991,"device_id":65024,"size":1,"links":2,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"surr\\xed\\xa0\\x80","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266787327-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994001,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"trunc\\xe2\\x82","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266382184-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993988,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"vt\\v","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266582292-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993993,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"we\\\"ird\\\\na\\tme\u003c\u0026\u003e)~" "\xc3\xa9" R"~(","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266675691-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993997,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"zblk","type":"dev","mode":67109284,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994008,"device_id":65024,"links":1,"device":1792,"content":null},)~"
    R"~({"name":"zchr","type":"chardev","mode":69206400,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994009,"device_id":65024,"links":1,"device":34819,"content":null},)~"
    R"~({"name":"zfifo","type":"fifo","mode":33554816,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994010,"device_id":65024,"content":null},)~"
    R"~({"name":"zlink","type":"symlink","mode":134218239,"mtime":"2026-11-23T00:58:05.284851949-03:30","atime":"2026-11-23T00:58:05.284851949-03:30","ctime":"2026-11-23T00:58:05.284851949-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994006,"device_id":65024,"links":1,"linktarget":"tgt\u003c\u0026\u003e\u2028)~" "\xc3\xa9" R"~(\"\\","content":null},)~"
    R"~({"name":"zsgid","type":"dir","mode":2151678440,"mtime":"2026-11-23T00:58:05.28858488-03:30","atime":"2026-11-23T00:58:05.28858488-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994012,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},)~"
    R"~({"name":"zsticky","type":"dir","mode":2148532735,"mtime":"2026-11-23T00:58:05.28858488-03:30","atime":"2026-11-23T00:58:05.28858488-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994013,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},)~"
    R"~({"name":"zsuid","type":"file","mode":12583369,"mtime":"2026-11-23T00:58:05.288675255-03:30","atime":"2026-11-23T00:58:05.288675255-03:30","ctime":"2026-11-23T00:58:05.288675255-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994014,"device_id":65024,"size":1,"links":1,"content":["043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89"]},)~"
    R"~({"name":"zuid","type":"file","mode":420,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":4321,"gid":4322,"inode":10994011,"device_id":65024,"links":1,"content":[]},)~"
    R"~({"name":"zx","type":"file","mode":420,"mtime":"2026-11-23T00:58:05.284851949-03:30","atime":"2026-11-23T00:58:05.284851949-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994007,"device_id":65024,"links":1,"extended_attributes":[{"name":"user.foo","value":"YmFyAP8="},)~"
    R"~({"name":"user.a\u003cb","value":""}],"content":[]})~"
    R"~(]})~" "\n";

// v2 repo: names ending in valid but non-printable (to Go's strconv.IsPrint) characters: U+FEFF, U+3000, U+2028, U+10FFFF, U+00A0, U+2029, U+E000, U+00AD, U+0378, U+200D. ID a6338c644f61feb67f911ebf5cd72a7f32d209735ea823aa32e4e301c850187d
const std::string kTreeNonPrintable =
    R"~({"nodes":[{"name":"bom\\ufeff","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994023,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"ideo\\u3000","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994022,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"ls\\u2028","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994017,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"maxrune\\U0010ffff","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994021,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"nbsp\\u00a0","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994015,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"ps\\u2029","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994018,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"pua\\ue000","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994019,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"shy\\u00ad","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994016,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"unassigned\\u0378","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994020,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"zwj\\u200d","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994024,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]})~"
    R"~(]})~" "\n";

// v2 repo: root tree of the snapshot holding kTreeOdd and kTreeNonPrintable. ID 223bb79cff129f1e29126f387a37fbe490001f20b37ac65e6f95841185d82851
const std::string kTreeRoot4 =
    R"~({"nodes":[{"name":"np","type":"dir","mode":2147484141,"mtime":"2026-11-23T00:58:05.288979097-03:30","atime":"2026-11-23T00:58:05.288979097-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10993974,"device_id":65024,"content":null,"subtree":"a6338c644f61feb67f911ebf5cd72a7f32d209735ea823aa32e4e301c850187d"},)~"
    R"~({"name":"ok","type":"dir","mode":2147484141,"mtime":"2026-11-23T00:58:05.28858488-03:30","atime":"2026-11-23T00:58:05.28858488-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993973,"device_id":65024,"content":null,"subtree":"c8ba76ed51b531e260b130783c35df16e10dc693a865ed8535166abe60ebcf42"})~"
    R"~(]})~" "\n";

// v2 repo, TZ=UTC: names ending in characters new in Unicode 14.0 (U+0870, U+1AFF0, U+1FAE0, U+2E5D, U+0C5D), which go1.19 (Unicode 13.0) does not know and so escapes, and one é. ID 1b85a3a9ff8319a8cb0552b9aed07bef289415401a08a5be631ae5fb4aeab7b5
const std::string kTreeUnicode14 =
    R"~({"nodes":[{"name":"ar\\u0870","type":"file","mode":420,"mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2026-11-23T04:54:09.364700229Z","uid":0,"gid":0,"user":"root","group":"root","inode":11297025,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"kana\\U0001aff0","type":"file","mode":420,"mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2026-11-23T04:54:09.364913486Z","uid":0,"gid":0,"user":"root","group":"root","inode":11297029,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"melt\\U0001fae0","type":"file","mode":420,"mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2026-11-23T04:54:09.364781269Z","uid":0,"gid":0,"user":"root","group":"root","inode":11297026,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"old)~" "\xc3\xa9" R"~(","type":"file","mode":420,"mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2026-11-23T04:54:09.364953396Z","uid":0,"gid":0,"user":"root","group":"root","inode":11297030,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"punct\\u2e5d","type":"file","mode":420,"mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2026-11-23T04:54:09.364874098Z","uid":0,"gid":0,"user":"root","group":"root","inode":11297028,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},)~"
    R"~({"name":"te\\u0c5d","type":"file","mode":420,"mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2026-11-23T04:54:09.364829131Z","uid":0,"gid":0,"user":"root","group":"root","inode":11297027,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]})~"
    R"~(]})~" "\n";

// ==================================================================== fixtures: snapshots (§9), index (§6), config (§1.4), keys (§2), locks (§10)

// v1 repo, TZ=UTC
const std::string kSnapV1 =
    R"~({"time":"2026-11-23T04:26:03.402473335Z","tree":"df84b95f68bb074b2c3440d1d46ecb19d5e2ca7bd396d8d8e4fb2a18681b0bc9","paths":["/tmp/fx/src"],"hostname":"vm","username":"root"})~";

// v2 repo, TZ=Europe/Berlin, --host h1 --tag t1
const std::string kSnapV2 =
    R"~({"time":"2026-11-23T05:26:02.576966453+01:00","tree":"e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac","paths":["/tmp/fx/src"],"hostname":"h1","username":"root","tags":["t1"]})~";

// two backup targets, TZ=America/St_Johns
const std::string kSnapTwoPaths =
    R"~({"time":"2026-11-23T00:58:13.526789519-03:30","tree":"223bb79cff129f1e29126f387a37fbe490001f20b37ac65e6f95841185d82851","paths":["/tmp/fx/r4src/ok","/tmp/fx/r4src/np"],"hostname":"vm","username":"root"})~";

// run as a uid without a passwd entry (no username, no uid/gid), TZ=Asia/Kolkata
const std::string kSnapNoUser =
    R"~({"time":"2026-11-23T09:58:16.350599367+05:30","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"vm"})~";

// --host 'host<&>' --exclude '*.tmp' --exclude 'a<b&c' --tag a,b --tag 'c"d'; 8-digit fraction
const std::string kSnapEscapes =
    R"~({"time":"2026-11-23T09:58:16.99689354+05:30","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"host\u003c\u0026\u003e","excludes":["*.tmp","a\u003cb\u0026c"],"tags":["a","b","c\"d"]})~";

// the next backup (parent), then 'restic tag --add x' (original)
const std::string kSnapOriginal =
    R"~({"time":"2026-11-23T09:58:20.147132701+05:30","parent":"a782752346b2f6e5c82b06feaca5ea372b9200bc644129ad3a7ac876ca2e1d31","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"host\u003c\u0026\u003e","excludes":["*.tmp","a\u003cb\u0026c"],"tags":["a","b","c\"d","x"],"original":"664d2239bab3d6a63611ff44df08606221324f853c0bc684ec9a5844030c91fe"})~";

// run as daemon (uid 1, gid 1), --tag a
const std::string kSnapUid =
    R"~({"time":"2026-11-23T09:58:39.037192311+05:30","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"vm","username":"daemon","uid":1,"gid":1,"tags":["a"]})~";

// run as daemon, second backup with a parent and --exclude
const std::string kSnapUidParent =
    R"~({"time":"2026-11-23T09:58:39.767397056+05:30","parent":"042e48e4d1c4e9a4e50bc014106ef71e0661c16b61d4100522e96ad763ad24e3","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"vm","username":"daemon","uid":1,"gid":1,"excludes":["*.tmp"]})~";

// v1 repo index: one data pack, one tree pack, blobs in Go map order
const std::string kIndexV1 =
    R"~({"packs":[{"id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21","blobs":[{"id":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","type":"data","offset":110,"length":33},)~"
    R"~({"id":"a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa","type":"data","offset":77,"length":33},)~"
    R"~({"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":44},)~"
    R"~({"id":"594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06","type":"data","offset":44,"length":33}]},)~"
    R"~({"id":"727304ee34c296c87eb86c7a161cfd292eed2849a2337b552579e0858a3fa79e","blobs":[{"id":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8","type":"tree","offset":0,"length":45},)~"
    R"~({"id":"059e2137d4a92bc5eafa54c6581a3b44f69b1c0a2fc629140e65e7ceeefe2211","type":"tree","offset":3046,"length":385},)~"
    R"~({"id":"be6e20d85feefeaeb701d1d9ac196c8cfad7e0a3495c13eec699bc0b4683049a","type":"tree","offset":3431,"length":384},)~"
    R"~({"id":"160f1f3d521d131d37da0e73966d39df0fe440b868a025ecfbc01e1fa43ad09a","type":"tree","offset":45,"length":383},)~"
    R"~({"id":"df84b95f68bb074b2c3440d1d46ecb19d5e2ca7bd396d8d8e4fb2a18681b0bc9","type":"tree","offset":3815,"length":383},)~"
    R"~({"id":"dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9","type":"tree","offset":428,"length":2618}]}]})~" "\n";

// v1 repo, after 'restic rebuild-index': supersedes the two old index files
const std::string kIndexV1Supersedes =
    R"~({"supersedes":["ff662ad934df23d32db208281b4a6764fdf932616e7114ebc8892608df92b7b6","f327e9345055f6ff18d514211c8082b64e682dca7274a993cc1381bb4c987c98"],"packs":[{"id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21","blobs":[{"id":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","type":"data","offset":110,"length":33},)~"
    R"~({"id":"a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa","type":"data","offset":77,"length":33},)~"
    R"~({"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":44},)~"
    R"~({"id":"594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06","type":"data","offset":44,"length":33}]},)~"
    R"~({"id":"247496981ac0df8a764e8ca4aaf2c36606bcff4f771afb3bbbb567c67c868296","blobs":[{"id":"98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4","type":"data","offset":0,"length":35}]},)~"
    R"~({"id":"727304ee34c296c87eb86c7a161cfd292eed2849a2337b552579e0858a3fa79e","blobs":[{"id":"df84b95f68bb074b2c3440d1d46ecb19d5e2ca7bd396d8d8e4fb2a18681b0bc9","type":"tree","offset":3815,"length":383},)~"
    R"~({"id":"160f1f3d521d131d37da0e73966d39df0fe440b868a025ecfbc01e1fa43ad09a","type":"tree","offset":45,"length":383},)~"
    R"~({"id":"059e2137d4a92bc5eafa54c6581a3b44f69b1c0a2fc629140e65e7ceeefe2211","type":"tree","offset":3046,"length":385},)~"
    R"~({"id":"be6e20d85feefeaeb701d1d9ac196c8cfad7e0a3495c13eec699bc0b4683049a","type":"tree","offset":3431,"length":384},)~"
    R"~({"id":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8","type":"tree","offset":0,"length":45},)~"
    R"~({"id":"dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9","type":"tree","offset":428,"length":2618}]},)~"
    R"~({"id":"e1ce2ffb14966c9c83379a73f65c6b792607f0508e61faa0e31f3a177574338b","blobs":[{"id":"f72af544188707ccec803f8c827146361a2767312b3e3f8b029a24e1b563c7b9","type":"tree","offset":0,"length":313}]}]})~" "\n";

// v2 repo index: compressed blobs carry uncompressed_length
const std::string kIndexV2 =
    R"~({"packs":[{"id":"6cfe12c5e9cd21667983b475f850f7ceaccad50a38945fe8cc3b5a96db8e3432","blobs":[{"id":"594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06","type":"data","offset":53,"length":42,"uncompressed_length":1},)~"
    R"~({"id":"a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa","type":"data","offset":137,"length":42,"uncompressed_length":1},)~"
    R"~({"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":53,"uncompressed_length":12},)~"
    R"~({"id":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","type":"data","offset":95,"length":42,"uncompressed_length":1}]},)~"
    R"~({"id":"b36b510d140e04d1b8639f5cea0dc787b8573884bbe5c4834a2d7758b878c8c8","blobs":[{"id":"953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb","type":"tree","offset":54,"length":252,"uncompressed_length":366},)~"
    R"~({"id":"e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac","type":"tree","offset":1529,"length":251,"uncompressed_length":366},)~"
    R"~({"id":"6da95ef55dc77b0b9e3507d5780217b2f8471369c5a8dbcc89e66e944bb7da2a","type":"tree","offset":1277,"length":252,"uncompressed_length":367},)~"
    R"~({"id":"02b3fe21587ae72acc852a493849b6df7a6ee66b8dd98277c71d7eff3ebde43d","type":"tree","offset":306,"length":719,"uncompressed_length":2706},)~"
    R"~({"id":"b2457d0f4de12054d4c48339112d1b9775cb130cbc037a3837198ba770ce7d23","type":"tree","offset":1025,"length":252,"uncompressed_length":368},)~"
    R"~({"id":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8","type":"tree","offset":0,"length":54,"uncompressed_length":13}]}]})~" "\n";

// v2 repo index with a multi-MiB blob
const std::string kIndexV2Big =
    R"~({"packs":[{"id":"0b3cc63cd9af4dc82d74f20c91f40c2d665b6d9a6640e7e5065f1489be58c7f1","blobs":[{"id":"383a0d6a0d0a3526cda821af2f532ed402a38dc39ba6eaf2610ea1a412b6f2c2","type":"data","offset":253490,"length":2746832,"uncompressed_length":2746727},)~"
    R"~({"id":"cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4","type":"data","offset":253404,"length":44,"uncompressed_length":3},)~"
    R"~({"id":"1b16b1df538ba12dc3f97edbb85caa7050d46c148134290feba80f8236c83db9","type":"data","offset":253362,"length":42,"uncompressed_length":1},)~"
    R"~({"id":"043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89","type":"data","offset":253448,"length":42,"uncompressed_length":1},)~"
    R"~({"id":"8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf","type":"data","offset":0,"length":42,"uncompressed_length":1},)~"
    R"~({"id":"48f95ffd8343607a4a98f27781fecc47a36a23a659d011c47df65a106fe007a1","type":"data","offset":42,"length":253320,"uncompressed_length":253273}]},)~"
    R"~({"id":"36dbd9e3351b2d0cb2819712758a2e340ccd586fd2533b3d9db4b3d2bb45d189","blobs":[{"id":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8","type":"tree","offset":387,"length":54,"uncompressed_length":13},)~"
    R"~({"id":"223bb79cff129f1e29126f387a37fbe490001f20b37ac65e6f95841185d82851","type":"tree","offset":1959,"length":337,"uncompressed_length":695},)~"
    R"~({"id":"a6338c644f61feb67f911ebf5cd72a7f32d209735ea823aa32e4e301c850187d","type":"tree","offset":0,"length":387,"uncompressed_length":3257},)~"
    R"~({"id":"c8ba76ed51b531e260b130783c35df16e10dc693a865ed8535166abe60ebcf42","type":"tree","offset":441,"length":1518,"uncompressed_length":12061}]}]})~" "\n";

// restic init --repository-version 1
const std::string kConfigV1 =
    R"~({"version":1,"id":"b07234937d49859d86498266dfafa6b0af75a022c72ddefbc27a127bb227c546","chunker_polynomial":"390c0ad551be61"})~";

// restic init
const std::string kConfigV2 =
    R"~({"version":2,"id":"8b488dbebdee641be002aa5c839f9c336fd9db55e67689c47af383bd11d719c7","chunker_polynomial":"2fd3d4f285a625"})~";

// keys/4b84e6ec5930fc20bf76e3a459690ca5a3f895a783d773f9e9152731f4dc2874 (password "pw")
const std::string kKeyV1 =
    R"~({"created":"2026-11-23T04:26:02.204008332Z","username":"root","hostname":"vm","kdf":"scrypt","N":32768,"r":8,"p":4,"salt":"5mIRIrLbfq4TqIWXRE6dLdfCWMbjTj/pRPRWXljsPSbsySnonpKKU/3tR/krrmAONsKzMugAcIzTjqmEvcqv+w==","data":"h5uA782B1FqnMxW3A5MKa/gcnBn8xVPcu3jA4eJqzSTTly9wYwx7usUJezGYgNAbqrERlukGOGrxilFDqGodw02gW2AxIdjS4PhQPXlJzsw7w0BTsGl/RI+GlNg7prnoFKBp+jcTNTBujlu2yk8BDKF9c6/9ZelFKjRMtlBPSNXVc0UQSaEwQxmkadzHVFFgNjp4bb6rVliF7C4Pf1Jycg=="})~";

// keys/19596c178a1b2e8f59e93105cb27f802373cd11eaff15ddfc69df94b9214f2e0 (password "pw")
const std::string kKeyV2 =
    R"~({"created":"2026-11-23T04:26:00.525983613Z","username":"root","hostname":"vm","kdf":"scrypt","N":32768,"r":8,"p":6,"salt":"rkxEuqdd/jfR/mw5bop8qSaSkZMRNSb4AmtTG7IZ0EKzuj6CP9kk5zBTOa4wq8Y0DDSs9U545RagZjI5lWFFcQ==","data":"pY+dJoGJMbX7JyzUBeMnhrRZHJxULTy4Qji3yRS+/JVnN5+efuICmZDy7IxkcnekEk3vLduKTOmuJ8uSDPEkp4iU1SU4WVnqq81XrbmlzxcVh4CJbBeYUhhpwwNVY3MRSYJwUwGmWLULAALDaGOLMTmsyh+wzQk57V717vtp2t5Pz3uHG+IeFDZSUDVz0TsTQlQZY0fC9H3I3fySgVNo9Q=="})~";

// the master key sealed in kKeyV1
const std::string kMasterKeyV1 =
    R"~({"mac":{"k":"oAuclspYwY8AX3xazRkXwg==","r":"N2QGDUwTPw3Ag3QNrIFDBQ=="},"encrypt":"XhnQHEEajeReiUwRoQeISGBWD6Z0yjp6k7W43B0j27M="})~";

// the master key sealed in kKeyV2
const std::string kMasterKeyV2 =
    R"~({"mac":{"k":"k/xU7gTFp5VJ+VZnsZfg5A==","r":"52PQDNR9Og2EBj4ICJirDw=="},"encrypt":"9MU2Um0XcxKMM5r2oBDPXN44VbmEefkF0DOvyym1JK8="})~";

// shared lock (backup --stdin), TZ=UTC, root: no uid/gid
const std::string kLockV1 =
    R"~({"time":"2026-11-23T04:27:22.479317215Z","exclusive":false,"hostname":"vm","username":"root","pid":1323})~";

// shared lock, TZ=Europe/Berlin
const std::string kLockV2 =
    R"~({"time":"2026-11-23T05:27:18.728985964+01:00","exclusive":false,"hostname":"vm","username":"root","pid":1222})~";

// shared lock of daemon (uid 1, gid 1)
const std::string kLockUid =
    R"~({"time":"2026-11-23T09:58:41.728697953+05:30","exclusive":false,"hostname":"vm","username":"daemon","pid":3116,"uid":1,"gid":1})~";

// shared lock of a uid without a passwd entry: username "" still emitted
const std::string kLockNoUser =
    R"~({"time":"2026-11-23T09:58:26.707680633+05:30","exclusive":false,"hostname":"vm","username":"","pid":2814})~";

// exclusive lock (check --read-data), TZ=America/St_Johns
const std::string kLockExclusive =
    R"~({"time":"2026-11-23T00:58:51.252002642-03:30","exclusive":true,"hostname":"vm","username":"root","pid":3423})~";

// ==================================================================== fixtures: pack header plaintexts (§5), hex

// v1 data pack c72e614d…: four type-0 entries (37 bytes each); matches kIndexV1's first pack.
const char kPackHeaderV1Data[] =
    "002c000000a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
    "0021000000594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06"
    "0021000000a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"
    "00210000002d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
// v1 tree pack 727304ee…: six type-1 entries; matches kIndexV1's second pack.
const char kPackHeaderV1Tree[] =
    "012d000000ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"
    "017f010000160f1f3d521d131d37da0e73966d39df0fe440b868a025ecfbc01e1fa43ad09a"
    "013a0a0000dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9"
    "0181010000059e2137d4a92bc5eafa54c6581a3b44f69b1c0a2fc629140e65e7ceeefe2211"
    "0180010000be6e20d85feefeaeb701d1d9ac196c8cfad7e0a3495c13eec699bc0b4683049a"
    "017f010000df84b95f68bb074b2c3440d1d46ecb19d5e2ca7bd396d8d8e4fb2a18681b0bc9";
// v2 data pack 6cfe12c5…: four type-2 entries (41 bytes each); matches kIndexV2's first pack.
const char kPackHeaderV2Data[] =
    "02350000000c000000a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
    "022a00000001000000594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06"
    "022a000000010000002d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    "022a00000001000000a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa";
// v2 tree pack b36b510d…: six type-3 entries; matches kIndexV2's second pack.
const char kPackHeaderV2Tree[] =
    "03360000000d000000ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"
    "03fc0000006e010000953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb"
    "03cf020000920a000002b3fe21587ae72acc852a493849b6df7a6ee66b8dd98277c71d7eff3ebde43d"
    "03fc00000070010000b2457d0f4de12054d4c48339112d1b9775cb130cbc037a3837198ba770ce7d23"
    "03fc0000006f0100006da95ef55dc77b0b9e3507d5780217b2f8471369c5a8dbcc89e66e944bb7da2a"
    "03fb0000006e010000e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac";

// The v1 repository's encrypted `config` file (155 bytes), sealed with kMasterKeyV1.
const char kConfigV1Sealed[] =
    "052c0159052f2bee8906bc013c321c0c050107911427456776e6d426d75162271953edc8eaab84965d4a3ef0b9ad9e4bd7a6"
    "355c5bd4c320b2240f51fa428b1f088b45a029fcc5d06d02d88535aed45e4f1f2112f94a679a49c58b04b8841390ec0d13c4"
    "114c4fd4f29a800b9164f9e15a3fed3ecc58df7b9ecb38dcc82b4878b439e7d28580a9e132dfd9c9d26181d3e9beccdb3889"
    "74b2a6be47";

const char kEmptyTreeId[] = "ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8";

// ==================================================================== helpers

std::string unhex(std::string_view h) {
    REQUIRE(h.size() % 2 == 0);
    std::string out;
    for (std::size_t i = 0; i < h.size(); i += 2) out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

Id id_of(std::string_view hex) {
    Id id{};
    REQUIRE(parse_id(hex, id));
    return id;
}

// Bytes made readable for failure messages: printable ASCII as is, a backslash doubled, the rest as \xNN.
std::string show(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c >= 0x20 && c < 0x7f) {
            out.push_back(char(c));
        } else {
            out += "\\x";
            out.push_back(kDigits[c >> 4]);
            out.push_back(kDigits[c & 15]);
        }
    }
    return out;
}

// Where two byte strings first differ, with some context, for failure messages.
std::string first_difference(std::string_view expected, std::string_view actual) {
    std::size_t i = 0;
    while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
    if (i == expected.size() && i == actual.size()) return "identical";
    std::size_t from = i > 60 ? i - 60 : 0;
    return "sizes " + std::to_string(expected.size()) + " (expected) vs " + std::to_string(actual.size()) +
           " (actual); first difference at byte " + std::to_string(i) + "\n  expected: …" +
           show(expected.substr(from, i - from + 60)) + "…\n  actual:   …" + show(actual.substr(from, i - from + 60)) + "…";
}

#define CHECK_SAME_BYTES(expected, actual)                                   \
    do {                                                                     \
        const std::string e_ = (expected), a_ = (actual);                    \
        INFO(first_difference(e_, a_));                                      \
        const bool same_bytes_ = e_ == a_;                                   \
        CHECK(same_bytes_);                                                  \
    } while (0)

template <class F>
int error_code(F &&f) {
    try {
        f();
    } catch (const wph::Error &e) {
        return e.code();
    }
    return WPH_OK;
}

// The call throws wph::Error with WPH_EINVALID.
#define CHECK_REFUSED(...) CHECK(error_code([&] { (void)(__VA_ARGS__); }) == WPH_EINVALID)

const Node &node_named(const std::vector<Node> &nodes, std::string_view name) {
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const Node &n) { return n.name == name; });
    INFO("node " << show(name));
    REQUIRE(it != nodes.end());
    return *it;
}

Time at(std::int64_t sec, std::int32_t nsec, std::int32_t offset) {
    Time t;
    t.sec = sec;
    t.nsec = nsec;
    t.offset = offset;
    return t;
}

bool same_entry(const PackEntry &a, const PackEntry &b) {
    return a.type == b.type && a.id == b.id && a.offset == b.offset && a.length == b.length &&
           a.uncompressed_length == b.uncompressed_length;
}

std::string random_bytes_string(std::mt19937 &rng, std::size_t max_len) {
    // Biased towards what matters for quoting: ASCII specials, control bytes,
    // valid multi-byte sequences and stray bytes >= 0x80.
    static const char *const kPieces[] = {"\"", "\\", "\n", "\t", "\x7f", "\x01", "'", "<", "&", "\xc3\xa9",
                                          "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "\xc2\x85", "\xc2\xa0",
                                          "\xed\xa0\x80", "\xe2\x82", "\xc0\xaf", "\xf4\x8f\xbf\xbf", "\xf5"};
    std::uniform_int_distribution<std::size_t> len(0, max_len), pick(0, 2), piece(0, std::size(kPieces) - 1);
    std::uniform_int_distribution<int> byte(0, 255), ascii(0x20, 0x7e);
    std::string s;
    std::size_t n = len(rng);
    while (s.size() < n) {
        switch (pick(rng)) {
        case 0: s.push_back(char(byte(rng))); break;
        case 1: s.push_back(char(ascii(rng))); break;
        default: s += kPieces[piece(rng)]; break;
        }
    }
    return s;
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        unsigned long cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
        for (std::size_t k = 1; k < n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

}  // namespace

// ==================================================================== Go JSON strings (Notation, §8.4)

TEST_CASE("go_json_string escapes like Go 1.19 encoding/json", "[repo][format]") {
    CHECK(go_json_string("") == R"("")");
    CHECK(go_json_string("a.txt") == R"("a.txt")");
    CHECK(go_json_string(R"(a"b\c)") == R"("a\"b\\c")");
    CHECK(go_json_string("\n\r\t") == R"("\n\r\t")");
    // Other control bytes as \u00XX (go1.19 has no \b or \f short forms).
    CHECK(go_json_string("\x00\x01\x08\x0b\x0c\x1b\x1f"s) == R"("\u0000\u0001\u0008\u000b\u000c\u001b\u001f")");
    // HTML-sensitive characters are escaped, DEL is not.
    CHECK(go_json_string("<a&b>") == R"("\u003ca\u0026b\u003e")");
    CHECK(go_json_string("\x7f") == "\"\x7f\"");
    // U+2028 and U+2029 are escaped, other non-ASCII (C1 controls included) is written raw.
    CHECK(go_json_string("x\xe2\x80\xa8y\xe2\x80\xa9z") == R"("x\u2028y\u2029z")");
    CHECK(go_json_string("\xc3\xa9\xf0\x9f\x98\x80\xc2\x85\xc2\xa0") == "\"\xc3\xa9\xf0\x9f\x98\x80\xc2\x85\xc2\xa0\"");
    // A valid U+FFFD stays raw; every byte of an invalid sequence becomes \ufffd.
    CHECK(go_json_string("\xef\xbf\xbd") == "\"\xef\xbf\xbd\"");
    CHECK(go_json_string("a\xff" "b") == R"("a\ufffdb")");
    CHECK(go_json_string("\xe2\x82") == R"("\ufffd\ufffd")");               // truncated
    CHECK(go_json_string("\xe2\x82z") == R"("\ufffd\ufffdz")");
    CHECK(go_json_string("\xc0\xaf") == R"("\ufffd\ufffd")");               // overlong
    CHECK(go_json_string("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");     // surrogate
    CHECK(go_json_string("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
    CHECK(go_json_string("\x80\xbf\xf5\xfe") == R"("\ufffd\ufffd\ufffd\ufffd")");
    CHECK(go_json_string("\xf4\x8f\xbf\xbf") == "\"\xf4\x8f\xbf\xbf\"");    // U+10FFFF is valid
    // From restic 0.14 files: a symlink target, a host name, a tag (§8.2, §9).
    CHECK(go_json_string("tgt<&>\xe2\x80\xa8\xc3\xa9\"\\") == R"("tgt\u003c\u0026\u003e\u2028)" "\xc3\xa9" R"(\"\\")");
    CHECK(go_json_string("host<&>") == R"("host\u003c\u0026\u003e")");
    CHECK(go_json_string("c\"d") == R"("c\"d")");
}

TEST_CASE("go_json_string output is JSON that decodes to the input (valid UTF-8) or to U+FFFD replacements",
          "[repo][format]") {
    std::mt19937 rng(20221123);
    for (int i = 0; i < 2000; ++i) {
        std::string s = random_bytes_string(rng, 24);
        std::string j = go_json_string(s);
        INFO("input " << show(s) << " -> " << show(j));
        REQUIRE(valid_utf8(j));
        boost::system::error_code ec;
        auto v = boost::json::parse(j, ec);
        REQUIRE_FALSE(ec);
        REQUIRE(v.is_string());
        std::string back(v.get_string());
        if (valid_utf8(s)) {
            CHECK(back == s);
        } else {
            CHECK(valid_utf8(back));
            CHECK(back.size() >= s.size());
        }
        CHECK(j.find('<') == std::string::npos);
        CHECK(j.find('>') == std::string::npos);
        CHECK(j.find('&') == std::string::npos);
        CHECK(j.find("\xe2\x80\xa8") == std::string::npos);
    }
}

// ==================================================================== Go quoting of node names (§8.4)

TEST_CASE("go_quote_body and the JSON of a node name: the examples of §8.4", "[repo][format]") {
    // The name `we"ird\na<TAB>me<&>é`, where \n is a backslash and an n.
    const std::string weird = "we\"ird\\na\tme<&>\xc3\xa9";
    CHECK(go_quote_body(weird) == "we\\\"ird\\\\na\\tme<&>\xc3\xa9");
    CHECK(go_json_string(go_quote_body(weird)) == R"("we\\\"ird\\\\na\\tme\u003c\u0026\u003e)" "\xc3\xa9" R"(")");
    CHECK(go_unquote_body(go_quote_body(weird)) == weird);

    const std::string bad = "bad\xff" "name";
    CHECK(go_quote_body(bad) == R"(bad\xffname)");
    CHECK(go_json_string(go_quote_body(bad)) == R"("bad\\xffname")");
    CHECK(go_unquote_body(go_quote_body(bad)) == bad);

    // Both layers leave a plain name alone.
    CHECK(go_quote_body("a.txt") == "a.txt");
    CHECK(go_json_string(go_quote_body("a.txt")) == R"("a.txt")");
    CHECK(go_quote_body("") == "");
    CHECK(go_unquote_body("") == std::string());
}

namespace {
struct QuotedName {
    std::string name, quoted;
};
}  // namespace

TEST_CASE("go_quote_body matches the names restic 0.14 stored: controls, DEL, C1, invalid UTF-8", "[repo][format]") {
    // (raw name, Go-quoted body) as found in kTreeOdd.
    const QuotedName cases[] = {
        {"back\\slash", R"(back\\slash)"},
        {"bad\xff" "name", R"(bad\xffname)"},
        {"bell\a", R"(bell\a)"},
        {"big\xf5" "x", R"(big\xf5x)"},
        {"bs\b", R"(bs\b)"},
        {"c\x01" "tl", R"(c\x01tl)"},
        {"c1\xc2\x85", R"(c1\u0085)"},
        {"cr\r", R"(cr\r)"},
        {"del\x7f", R"(del\x7f)"},
        {"emoji\xf0\x9f\x98\x80", "emoji\xf0\x9f\x98\x80"},
        {"esc\x1b[", R"(esc\x1b[)"},
        {"ff\f", R"(ff\f)"},
        {"fffd\xef\xbf\xbd", "fffd\xef\xbf\xbd"},
        {"lone\x80" "cont", R"(lone\x80cont)"},
        {"nl\nx", R"(nl\nx)"},
        {"over\xc0\xaf" "l", R"(over\xc0\xafl)"},
        {"single'quote", "single'quote"},
        {"sp ace", "sp ace"},
        {"surr\xed\xa0\x80", R"(surr\xed\xa0\x80)"},
        {"trunc\xe2\x82", R"(trunc\xe2\x82)"},
        {"vt\v", R"(vt\v)"},
        {"nul\0"s, R"(nul\x00)"},
    };
    for (auto &c : cases) {
        INFO("name " << show(c.name));
        CHECK(show(go_quote_body(c.name)) == show(c.quoted));
        CHECK(go_unquote_body(c.quoted) == c.name);
    }
}

TEST_CASE("go_quote_body escapes valid non-printable characters like strconv.Quote (restic 0.14 names)",
          "[repo][format]") {
    // strconv.Quote keeps a rune only if strconv.IsPrint says so (letters,
    // marks, numbers, punctuation, symbols, ASCII space). Everything else, not
    // just C0/C1 controls, becomes \uXXXX or \UXXXXXXXX. As found in kTreeNonPrintable.
    const QuotedName cases[] = {
        {"bom\xef\xbb\xbf", R"(bom\ufeff)"},              // U+FEFF, format
        {"ideo\xe3\x80\x80", R"(ideo\u3000)"},            // U+3000, space separator
        {"ls\xe2\x80\xa8", R"(ls\u2028)"},                // U+2028, line separator
        {"maxrune\xf4\x8f\xbf\xbf", R"(maxrune\U0010ffff)"},  // noncharacter, needs \U
        {"nbsp\xc2\xa0", R"(nbsp\u00a0)"},                // U+00A0, space separator
        {"ps\xe2\x80\xa9", R"(ps\u2029)"},                // U+2029
        {"pua\xee\x80\x80", R"(pua\ue000)"},              // private use
        {"shy\xc2\xad", R"(shy\u00ad)"},                  // U+00AD, format
        {"unassigned\xcd\xb8", R"(unassigned\u0378)"},    // unassigned
        {"zwj\xe2\x80\x8d", R"(zwj\u200d)"},              // U+200D, format
    };
    for (auto &c : cases) {
        INFO("name " << show(c.name));
        CHECK(show(go_quote_body(c.name)) == show(c.quoted));
        CHECK(go_unquote_body(c.quoted) == c.name);
    }
}

TEST_CASE("go_quote_body escapes characters unknown to Go 1.19's Unicode 13.0 tables (restic 0.14 names)",
          "[repo][format]") {
    // restic 0.14 is built with go1.19, whose unicode tables are version
    // 13.0.0: characters added in Unicode 14.0 are unassigned to it, hence not
    // printable, hence escaped. As found in kTreeUnicode14.
    const QuotedName cases[] = {
        {"ar\xe0\xa1\xb0", R"(ar\u0870)"},               // U+0870 ARABIC LETTER ALEF WITH ATTACHED FATHA
        {"kana\xf0\x9a\xbf\xb0", R"(kana\U0001aff0)"},  // U+1AFF0 KATAKANA LETTER MINNAN TONE-2
        {"melt\xf0\x9f\xab\xa0", R"(melt\U0001fae0)"},  // U+1FAE0 MELTING FACE
        {"punct\xe2\xb9\x9d", R"(punct\u2e5d)"},         // U+2E5D OBLIQUE HYPHEN
        {"te\xe0\xb1\x9d", R"(te\u0c5d)"},               // U+0C5D TELUGU LETTER NAKAARA POLLU
        {"old\xc3\xa9", "old\xc3\xa9"},
    };
    for (auto &c : cases) {
        INFO("name " << show(c.name));
        CHECK(show(go_quote_body(c.name)) == show(c.quoted));
        CHECK(go_unquote_body(c.quoted) == c.name);
    }
}

TEST_CASE("go_unquote_body decodes every Go escape", "[repo][format]") {
    CHECK(go_unquote_body(R"(\a\b\f\n\r\t\v\\\")") == "\a\b\f\n\r\t\v\\\"");
    CHECK(go_unquote_body(R"(\x41\x7f\xff\xFF)") == "A\x7f\xff\xff");
    CHECK(go_unquote_body(R"(\101\000\377)") == "A\0\xff"s);
    CHECK(go_unquote_body(R"(\u00e9\u00E9\u2028)") == "\xc3\xa9\xc3\xa9\xe2\x80\xa8");
    CHECK(go_unquote_body(R"(\U0001f600\U0010FFFF)") == "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
    CHECK(go_unquote_body("plain \xc3\xa9 text") == "plain \xc3\xa9 text");
    CHECK(go_unquote_body("it's") == "it's");
}

TEST_CASE("go_unquote_body refuses malformed escapes", "[repo][format]") {
    const char *const bad[] = {
        R"(a\)",          // dangling backslash
        R"(\x4)",         // short \x
        R"(\xg0)",        // not hex
        R"(\u12)",        // short \u
        R"(\u12g4)",      // not hex
        R"(\U0001f60)",   // short \U
        R"(\U00110000)",  // past U+10FFFF
        R"(\ud800)",      // surrogate
        R"(\udfff)",      // surrogate
        R"(\400)",        // octal > 255
        R"(\8)",          // not an escape
        R"(\09)",         // not octal
        R"(\07)",         // short octal
        R"(\q)",          // unknown escape
        R"(\ )",          // unknown escape
        R"(a"b)",         // an unescaped quote cannot be in a quoted body
    };
    for (auto *s : bad) {
        INFO("body " << s);
        CHECK_FALSE(go_unquote_body(s).has_value());
    }
}

TEST_CASE("go_unquote_body refuses what Go's strconv.Unquote refuses in a double-quoted string", "[repo][format]") {
    // restic 0.14 runs strconv.Unquote(`"` + name + `"`) and fails the whole
    // tree on an error (§8.4). Go refuses \' inside double quotes and a raw
    // line feed (a JSON "\n" in the name decodes to one).
    CHECK_FALSE(go_unquote_body(R"(it\'s)").has_value());
    CHECK_FALSE(go_unquote_body("a\nb").has_value());
}

TEST_CASE("go_unquote_body(go_quote_body(x)) == x for random byte strings", "[repo][format]") {
    std::mt19937 rng(8404);
    for (int i = 0; i < 5000; ++i) {
        std::string s = random_bytes_string(rng, 32);
        std::string q = go_quote_body(s);
        INFO("input " << show(s) << " quoted " << show(q));
        // The quoted body is valid UTF-8 without raw controls (Go's Quote never emits them).
        CHECK(valid_utf8(q));
        CHECK(std::none_of(q.begin(), q.end(), [](char c) { return (unsigned char)c < 0x20 || c == 0x7f; }));
        auto back = go_unquote_body(q);
        REQUIRE(back.has_value());
        CHECK(*back == s);
    }
}

// ==================================================================== base64 (Notation, §2)

TEST_CASE("base64 as Go's StdEncoding: padding written and required", "[repo][format]") {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("fooba") == "Zm9vYmE=");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
    CHECK(base64_encode("bar\0\xff"s) == "YmFyAP8=");  // the xattr value of §8.2
    CHECK(base64_encode("\xfb\xff\xbf") == "+/+/");

    CHECK(base64_decode("") == std::string());
    CHECK(base64_decode("Zg==") == "f");
    CHECK(base64_decode("Zm8=") == "fo");
    CHECK(base64_decode("Zm9vYmFy") == "foobar");
    CHECK(base64_decode("YmFyAP8=") == "bar\0\xff"s);
    CHECK(base64_decode("+/+/") == "\xfb\xff\xbf");

    const char *const malformed[] = {
        "Zg",         // no padding (Go's std decoder requires it, §12.2)
        "Zm8",        // no padding
        "Zg=",        // length not a multiple of 4
        "Zm9vY",      // length not a multiple of 4
        "Z===",       // too much padding
        "====",       // only padding
        "Zm=8",       // data after padding
        "Zg==Zg==",   // padding in the middle
        "Zm9v-_==",   // URL alphabet
        "Zm9v\x01Zg=",
        "Zm 9v",      // space
        "Zm9v====",   // a whole block of padding
    };
    for (auto *m : malformed) {
        INFO("text " << show(m));
        CHECK_FALSE(base64_decode(m).has_value());
    }

    std::mt19937 rng(64);
    for (int i = 0; i < 500; ++i) {
        std::string s = random_bytes_string(rng, 70);
        std::string e = base64_encode(s);
        CHECK(e.size() == (s.size() + 2) / 3 * 4);
        CHECK(base64_decode(e) == s);
    }
}

// ==================================================================== time (§8.3)

TEST_CASE("format_time writes RFC 3339 with trimmed nanoseconds and the writer's offset", "[repo][format]") {
    CHECK(format_time(at(0, 0, 0)) == "1970-01-01T00:00:00Z");
    CHECK(format_time(at(1700000000, 0, 0)) == "2023-11-14T22:13:20Z");  // no fraction, no dot
    CHECK(format_time(at(1700000000, 100000000, 0)) == "2023-11-14T22:13:20.1Z");
    CHECK(format_time(at(1700000000, 1, 0)) == "2023-11-14T22:13:20.000000001Z");
    CHECK(format_time(at(1700000000, 999999999, 0)) == "2023-11-14T22:13:20.999999999Z");
    CHECK(format_time(at(1795408042, 479317215, 0)) == "2026-11-23T04:27:22.479317215Z");
    CHECK(format_time(at(1795407963, 379111750, 0)) == "2026-11-23T04:26:03.37911175Z");  // 8 digits
    CHECK(format_time(at(1672628645, 123456789, 3600)) == "2023-01-02T04:04:05.123456789+01:00");
    CHECK(format_time(at(1672628645, 0, 3600)) == "2023-01-02T04:04:05+01:00");
    CHECK(format_time(at(1795408100, 147132701, 19800)) == "2026-11-23T09:58:20.147132701+05:30");
    CHECK(format_time(at(1700000000, 10, -12600)) == "2023-11-14T18:43:20.00000001-03:30");
    CHECK(format_time(at(1700000000, 0, -36000)) == "2023-11-14T12:13:20-10:00");
    CHECK(format_time(at(1700000000, 0, 50400)) == "2023-11-15T12:13:20+14:00");
    // Before 1970 (from kTreeOdd: St. John's was at -02:30 in June 1960).
    CHECK(format_time(at(-300000001, 500000000, -9000)) == "1960-06-29T16:09:59.5-02:30");
    CHECK(format_time(at(-1, 999999999, 0)) == "1969-12-31T23:59:59.999999999Z");
    // An offset with seconds (old LMT zones): Go prints hours and minutes only.
    CHECK(format_time(at(0, 0, -1050)) == "1969-12-31T23:42:30-00:17");
    // Years are clamped into 0000..9999 (restic's fixTime changes only the year).
    CHECK(format_time(at(253402300799, 0, 0)) == "9999-12-31T23:59:59Z");
    CHECK(format_time(at(253402300800, 0, 0)) == "9999-01-01T00:00:00Z");
    CHECK(format_time(at(-62167219200, 0, 0)) == "0000-01-01T00:00:00Z");
    CHECK(format_time(at(-62198755200, 0, 0)) == "0000-01-01T00:00:00Z");
}

TEST_CASE("parse_time reads RFC 3339 forms and keeps the offset", "[repo][format]") {
    struct Case {
        const char *text;
        std::int64_t sec;
        std::int32_t nsec, offset;
    };
    const Case cases[] = {
        {"2026-11-23T05:26:02.576966453+01:00", 1795407962, 576966453, 3600},
        {"2023-11-14T22:13:20Z", 1700000000, 0, 0},
        {"2023-11-14T22:13:20+00:00", 1700000000, 0, 0},
        {"2023-11-14T22:13:20-00:00", 1700000000, 0, 0},
        {"2023-11-14T22:13:20.1Z", 1700000000, 100000000, 0},
        {"2023-11-14T22:13:20.100Z", 1700000000, 100000000, 0},
        {"2023-11-14T22:13:20.000000001Z", 1700000000, 1, 0},
        {"2023-11-14T22:13:20.1234567891Z", 1700000000, 123456789, 0},  // Go ignores digits past the ninth
        {"2023-11-14T18:43:20.00000001-03:30", 1700000000, 10, -12600},
        {"2026-11-23T09:58:16.99689354+05:30", 1795408096, 996893540, 19800},
        {"1960-06-29T16:09:59.5-02:30", -300000001, 500000000, -9000},
        {"1969-12-31T23:59:59.999999999Z", -1, 999999999, 0},
        {"2024-02-29T12:00:00Z", 1709208000, 0, 0},
        {"0000-01-01T00:00:00Z", -62167219200, 0, 0},
        {"0001-01-01T00:00:00Z", -62135596800, 0, 0},
        {"9999-12-31T23:59:59.999999999Z", 253402300799, 999999999, 0},
        {"2023-11-14T22:13:20+14:00", 1700000000 - 50400, 0, 50400},
        {"2023-11-14T22:13:20-12:00", 1700000000 + 43200, 0, -43200},
    };
    for (auto &c : cases) {
        INFO(c.text);
        auto t = parse_time(c.text);
        REQUIRE(t.has_value());
        CHECK(t->sec == c.sec);
        CHECK(t->nsec == c.nsec);
        CHECK(t->offset == c.offset);
    }
    // Canonical text comes back unchanged; other forms come back canonical.
    CHECK(format_time(*parse_time("2026-11-23T05:26:02.576966453+01:00")) == "2026-11-23T05:26:02.576966453+01:00");
    CHECK(format_time(*parse_time("2023-11-14T22:13:20.100Z")) == "2023-11-14T22:13:20.1Z");
    CHECK(format_time(*parse_time("2023-11-14T22:13:20+00:00")) == "2023-11-14T22:13:20Z");
    CHECK(format_time(*parse_time("2023-11-14T22:13:20.000000000+01:00")) == "2023-11-14T22:13:20+01:00");
}

TEST_CASE("parse_time refuses garbage", "[repo][format]") {
    const char *const bad[] = {
        "",
        "garbage",
        "2023-11-14",
        "2023-11-14T22:13:20",          // no zone
        "2023-11-14T22:13:20.5",        // no zone
        "2023-11-14 22:13:20Z",         // space instead of T
        "2023-11-14T22:13Z",            // no seconds
        "2023-11-14T22:13:20.Z",        // dot without digits
        "2023-11-14T22:13:20.+01:00",
        "2023-11-14T22:13:20+0100",     // no colon in the offset
        "2023-11-14T22:13:20+01",
        "2023-11-14T22:13:20+01:0",
        "2023-11-14T22:13:20+aa:00",
        "2023-11-14T22:13:20+01:00x",   // trailing junk
        "2023-11-14T22:13:20ZZ",
        "2023-11-14T22:13:20Z ",
        " 2023-11-14T22:13:20Z",
        "20231114T221320Z",
        "2023-1-14T22:13:20Z",
        "+2023-11-14T22:13:20Z",
        "2023-13-01T00:00:00Z",          // month 13
        "2023-00-10T00:00:00Z",          // month 0
        "2023-11-00T00:00:00Z",          // day 0
        "2023-11-32T00:00:00Z",          // day 32
        "2023-11-14T24:00:00Z",          // hour 24
        "2023-11-14T22:60:00Z",          // minute 60
        "2023-11-14T22:13:2OZ",
        "2023-11-14T22:13:20.12a4Z",
    };
    for (auto *s : bad) {
        INFO("text \"" << s << "\"");
        CHECK_FALSE(parse_time(s).has_value());
    }
}

TEST_CASE("parse_time is as strict as Go's time.Parse(RFC3339) in go1.19", "[repo][format]") {
    // Go validates the day against the month and refuses second 60; the
    // 'T' and 'Z' of the layout are matched case-sensitively.
    const char *const bad[] = {
        "2023-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",  // 2023 is not a leap year
        "2023-04-31T00:00:00Z",
        "2023-11-14T22:13:60Z",
        "2023-11-14t22:13:20Z",
        "2023-11-14T22:13:20z",
    };
    for (auto *s : bad) {
        INFO("text \"" << s << "\"");
        CHECK_FALSE(parse_time(s).has_value());
    }
}

TEST_CASE("what parse_time accepts, format_time writes back in a form parse_time reads", "[repo][format]") {
    // Offsets with minutes >= 60 are accepted by parse_time; with 99 hours
    // format_time then writes a three-digit hour ("+100:39") that neither
    // parse_time nor Go's time.Parse reads, so a decoded and re-encoded tree,
    // snapshot or lock could not be loaded again.
    for (const char *s : {"2023-11-14T22:13:20+99:99", "2023-11-14T22:13:20-99:60", "2023-11-14T22:13:20+00:60",
                          "2023-11-14T22:13:20+23:59", "2023-11-14T22:13:20+99:59"}) {
        INFO(s);
        if (auto t = parse_time(s)) {
            INFO("written back as " << format_time(*t));
            CHECK(parse_time(format_time(*t)).has_value());
        }
    }
}

TEST_CASE("parse_time(format_time(t)) == t, offset included, for random times", "[repo][format]") {
    std::mt19937_64 rng(3339);
    std::uniform_int_distribution<std::int64_t> sec(-62135596800 + 86400, 253402300799 - 86400);
    std::uniform_int_distribution<std::int32_t> nsec(0, 999999999), minutes(-14 * 60, 14 * 60), coin(0, 3);
    for (int i = 0; i < 2000; ++i) {
        // One draw per statement: argument evaluation order differs between compilers.
        const std::int64_t secs = sec(rng);
        const std::int32_t ns = coin(rng) == 0 ? 0 : nsec(rng);
        const std::int32_t offset = coin(rng) == 0 ? 0 : minutes(rng) * 60;
        Time t = at(secs, ns, offset);
        std::string s = format_time(t);
        INFO(s);
        auto back = parse_time(s);
        REQUIRE(back.has_value());
        CHECK(back->sec == t.sec);
        CHECK(back->nsec == t.nsec);
        CHECK(back->offset == t.offset);
    }
}

// ==================================================================== Go FileMode (§8.5)

TEST_CASE("go_mode_from_posix gives the values restic 0.14 stored", "[repo][format]") {
    CHECK(go_mode_from_posix(S_IFDIR | 0755) == 2147484141u);
    CHECK(go_mode_from_posix(S_IFREG | 04755) == 8389101u);
    CHECK(go_mode_from_posix(S_IFDIR | 01777) == 2148532735u);
    CHECK(go_mode_from_posix(S_IFIFO | 0644) == 33554852u);
    CHECK(go_mode_from_posix(S_IFLNK | 0777) == 134218239u);
    CHECK(go_mode_from_posix(S_IFBLK | 0644) == 67109284u);
    CHECK(go_mode_from_posix(S_IFCHR | 0644) == 69206436u);
    CHECK(go_mode_from_posix(S_IFREG | 0644) == 420u);
    // More from kTreeOdd.
    CHECK(go_mode_from_posix(S_IFDIR | 02750) == 2151678440u);  // setgid dir
    CHECK(go_mode_from_posix(S_IFREG | 06711) == 12583369u);    // setuid + setgid file
    CHECK(go_mode_from_posix(S_IFCHR | 0600) == 69206400u);
    CHECK(go_mode_from_posix(S_IFIFO | 0600) == 33554816u);
    CHECK(go_mode_from_posix(S_IFSOCK | 0755) == ((1u << 24) | 0755u));
    CHECK(go_mode_from_posix(S_IFREG | 07777) == ((1u << 23) | (1u << 22) | (1u << 20) | 0777u));
    CHECK(go_mode_from_posix(0) == 0u);
}

TEST_CASE("posix_mode_from_go keeps permission and special bits only", "[repo][format]") {
    CHECK(posix_mode_from_go(2147484141u) == 0755u);
    CHECK(posix_mode_from_go(8389101u) == 04755u);
    CHECK(posix_mode_from_go(2148532735u) == 01777u);
    CHECK(posix_mode_from_go(33554852u) == 0644u);
    CHECK(posix_mode_from_go(134218239u) == 0777u);
    CHECK(posix_mode_from_go(67109284u) == 0644u);
    CHECK(posix_mode_from_go(69206436u) == 0644u);
    CHECK(posix_mode_from_go(420u) == 0644u);
    CHECK(posix_mode_from_go(2151678440u) == 02750u);
    CHECK(posix_mode_from_go(12583369u) == 06711u);
    CHECK(posix_mode_from_go(0xffffffffu) == 07777u);
    for (std::uint32_t type : {0u, unsigned(S_IFDIR), unsigned(S_IFLNK), unsigned(S_IFBLK), unsigned(S_IFCHR),
                               unsigned(S_IFIFO), unsigned(S_IFSOCK)})
        for (std::uint32_t perm = 0; perm <= 07777; perm += 0111)
            CHECK(posix_mode_from_go(go_mode_from_posix((S_IFREG * (type == 0)) | type | perm)) == perm);
}

// ==================================================================== trees (§8)

TEST_CASE("the empty tree is {\"nodes\":[]}\\n with restic's well-known ID", "[repo][format]") {
    const std::string empty = encode_tree({});
    CHECK(empty == "{\"nodes\":[]}\n");
    CHECK(to_hex(sha256(empty)) == kEmptyTreeId);
    CHECK(decode_tree(empty).empty());
    CHECK(decode_tree("{\"nodes\":[]}").empty());  // the trailing newline is optional
    CHECK(decode_tree("{\"nodes\":null}").empty());
    CHECK(decode_tree("{}").empty());
}

TEST_CASE("tree fixtures are the bytes restic 0.14 hashed", "[repo][format]") {
    CHECK(to_hex(sha256(kTreeV2Src)) == "02b3fe21587ae72acc852a493849b6df7a6ee66b8dd98277c71d7eff3ebde43d");
    CHECK(to_hex(sha256(kTreeV2Sub)) == "953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb");
    CHECK(to_hex(sha256(kTreeV2Tmp)) == "e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac");
    CHECK(to_hex(sha256(kTreeV1Src)) == "dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9");
    CHECK(to_hex(sha256(kTreeOdd)) == "c8ba76ed51b531e260b130783c35df16e10dc693a865ed8535166abe60ebcf42");
    CHECK(to_hex(sha256(kTreeNonPrintable)) == "a6338c644f61feb67f911ebf5cd72a7f32d209735ea823aa32e4e301c850187d");
    CHECK(to_hex(sha256(kTreeRoot4)) == "223bb79cff129f1e29126f387a37fbe490001f20b37ac65e6f95841185d82851");
    CHECK(to_hex(sha256(kTreeUnicode14)) == "1b85a3a9ff8319a8cb0552b9aed07bef289415401a08a5be631ae5fb4aeab7b5");
}

TEST_CASE("encode_tree(decode_tree(blob)) reproduces restic 0.14 tree blobs byte for byte", "[repo][format]") {
    SECTION("v2, +01:00: setuid file, odd names, empty file, empty dir, fifo, symlink, subdir") {
        CHECK_SAME_BYTES(kTreeV2Src, encode_tree(decode_tree(kTreeV2Src)));
    }
    SECTION("v2: a dir with one file") { CHECK_SAME_BYTES(kTreeV2Sub, encode_tree(decode_tree(kTreeV2Sub))); }
    SECTION("v2: sticky /tmp") { CHECK_SAME_BYTES(kTreeV2Tmp, encode_tree(decode_tree(kTreeV2Tmp))); }
    SECTION("v1, UTC") { CHECK_SAME_BYTES(kTreeV1Src, encode_tree(decode_tree(kTreeV1Src))); }
    SECTION("-03:30: controls, invalid UTF-8, hard links, xattrs, devices, pre-1970, uid without user") {
        CHECK_SAME_BYTES(kTreeOdd, encode_tree(decode_tree(kTreeOdd)));
    }
    SECTION("root of two dirs") { CHECK_SAME_BYTES(kTreeRoot4, encode_tree(decode_tree(kTreeRoot4))); }
}

TEST_CASE("encode_tree(decode_tree(blob)) reproduces a restic 0.14 tree with non-printable characters in names",
          "[repo][format]") {
    // See "go_quote_body escapes valid non-printable characters like strconv.Quote".
    CHECK_SAME_BYTES(kTreeNonPrintable, encode_tree(decode_tree(kTreeNonPrintable)));
}

TEST_CASE("encode_tree(decode_tree(blob)) reproduces a restic 0.14 tree with Unicode 14.0 characters in names",
          "[repo][format]") {
    // See "go_quote_body escapes characters unknown to Go 1.19's Unicode 13.0 tables".
    CHECK_SAME_BYTES(kTreeUnicode14, encode_tree(decode_tree(kTreeUnicode14)));
}

TEST_CASE("decode_tree reads every field of restic 0.14 nodes", "[repo][format]") {
    auto nodes = decode_tree(kTreeV2Src);
    REQUIRE(nodes.size() == 8);
    CHECK(std::is_sorted(nodes.begin(), nodes.end(), [](const Node &a, const Node &b) { return a.name < b.name; }));

    const Node &a = node_named(nodes, "a.txt");
    CHECK(a.type == NodeType::file);
    CHECK(a.mode == 8389101u);
    CHECK(a.mtime.sec == 1672628645);
    CHECK(a.mtime.nsec == 123456789);
    CHECK(a.mtime.offset == 3600);
    CHECK(a.atime == a.mtime);
    CHECK(a.ctime.sec == 1795407958);
    CHECK(a.ctime.nsec == 516847787);
    CHECK(a.uid == 0);
    CHECK(a.gid == 0);
    CHECK(a.user == "root");
    CHECK(a.group == "root");
    CHECK(a.inode == 10961630u);
    CHECK(a.device_id == 65024u);
    CHECK(a.size == 12u);
    CHECK(a.links == 1u);
    CHECK(a.linktarget.empty());
    CHECK(a.xattrs.empty());
    CHECK(a.device == 0u);
    REQUIRE(a.content.size() == 1);
    CHECK(to_hex(a.content[0]) == "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
    CHECK_FALSE(a.subtree.has_value());
    CHECK(a.error.empty());

    const Node &empty = node_named(nodes, "empty");
    CHECK(empty.type == NodeType::file);
    CHECK(empty.content.empty());
    CHECK(empty.size == 0u);

    const Node &dir = node_named(nodes, "emptydir");
    CHECK(dir.type == NodeType::dir);
    CHECK(dir.mode == 2147484141u);
    REQUIRE(dir.subtree.has_value());
    CHECK(to_hex(*dir.subtree) == kEmptyTreeId);
    CHECK(dir.content.empty());
    CHECK(dir.links == 0u);

    const Node &link = node_named(nodes, "link");
    CHECK(link.type == NodeType::symlink);
    CHECK(link.mode == 134218239u);
    CHECK(link.linktarget == "a.txt");
    CHECK(format_time(link.mtime) == "2023-01-02T04:04:05+01:00");

    CHECK(node_named(nodes, "fifo").type == NodeType::fifo);
    CHECK(node_named(nodes, "fifo").mode == 33554852u);
    CHECK(node_named(nodes, "bad\xff" "name").size == 1u);
    CHECK(node_named(nodes, "we\"ird\\na\tme<&>\xc3\xa9").size == 1u);
    CHECK(node_named(nodes, "sub").subtree == id_of("953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb"));
}

TEST_CASE("decode_tree reads xattrs, devices, hard links and odd names of restic 0.14", "[repo][format]") {
    auto nodes = decode_tree(kTreeOdd);
    REQUIRE(nodes.size() == 35);
    CHECK(std::is_sorted(nodes.begin(), nodes.end(), [](const Node &a, const Node &b) { return a.name < b.name; }));

    for (const char *name : {"nl\nx", "c\x01tl", "del\x7f", "esc\x1b[", "c1\xc2\x85", "trunc\xe2\x82", "surr\xed\xa0\x80",
                             "fffd\xef\xbf\xbd", "back\\slash", "single'quote", "bell\a", "vt\v"})
        CHECK(node_named(nodes, name).size == 1u);
    CHECK(node_named(nodes, "lone\x80" "cont").type == NodeType::file);
    CHECK(node_named(nodes, "over\xc0\xaf" "l").type == NodeType::file);
    CHECK(node_named(nodes, "big\xf5" "x").type == NodeType::file);

    const Node &h1 = node_named(nodes, "sp ace"), &h2 = node_named(nodes, "sp ace2");
    CHECK(h1.inode == h2.inode);
    CHECK(h1.device_id == h2.device_id);
    CHECK(h1.links == 2u);
    CHECK(h1.content == h2.content);

    const Node &big = node_named(nodes, "big");
    CHECK(big.size == 3000000u);
    CHECK(big.content.size() == 2);

    const Node &old = node_named(nodes, "old");
    CHECK(old.mtime.sec == -300000001);
    CHECK(old.mtime.nsec == 500000000);
    CHECK(old.mtime.offset == -9000);
    CHECK(node_named(nodes, "ns1").mtime.nsec == 10);

    const Node &blk = node_named(nodes, "zblk");
    CHECK(blk.type == NodeType::dev);
    CHECK(blk.mode == 67109284u);
    CHECK(blk.device == 1792u);  // 7,0
    const Node &chr = node_named(nodes, "zchr");
    CHECK(chr.type == NodeType::chardev);
    CHECK(chr.mode == 69206400u);
    CHECK(chr.device == 34819u);  // 136,3

    CHECK(node_named(nodes, "zlink").linktarget == "tgt<&>\xe2\x80\xa8\xc3\xa9\"\\");
    CHECK(node_named(nodes, "zsgid").mode == 2151678440u);
    CHECK(node_named(nodes, "zsticky").mode == 2148532735u);
    CHECK(node_named(nodes, "zsuid").mode == 12583369u);

    const Node &uid = node_named(nodes, "zuid");
    CHECK(uid.uid == 4321u);
    CHECK(uid.gid == 4322u);
    CHECK(uid.user.empty());
    CHECK(uid.group.empty());

    const Node &x = node_named(nodes, "zx");
    REQUIRE(x.xattrs.size() == 2);
    CHECK(x.xattrs[0].name == "user.foo");
    CHECK(x.xattrs[0].value == "bar\0\xff"s);
    CHECK(x.xattrs[1].name == "user.a<b");
    CHECK(x.xattrs[1].value.empty());
}

namespace {
Node v2_node(const char *name, NodeType type, std::uint32_t mode, Time m, Time a, Time c, std::uint64_t inode) {
    Node n;
    n.name = name;
    n.type = type;
    n.mode = mode;
    n.mtime = m;
    n.atime = a;
    n.ctime = c;
    n.user = "root";
    n.group = "root";
    n.inode = inode;
    n.device_id = 65024;
    return n;
}
// The n-th node of a restic tree blob as a one-node tree blob.
std::string single_node_tree(const std::string &blob, std::string_view name) {
    auto start = blob.find("{\"name\":\"" + std::string(name) + "\"");
    REQUIRE(start != std::string::npos);
    auto end = blob.find("},{\"name\":", start);
    if (end == std::string::npos) end = blob.size() - 4;  // before "]}\n"
    return "{\"nodes\":[" + blob.substr(start, end + 1 - start) + "]}\n";
}
}  // namespace

TEST_CASE("encode_tree writes nodes built from scratch exactly as restic 0.14 (§8.2 field order and omissions)",
          "[repo][format]") {
    const Time t0 = at(1795407958, 515942552, 3600);
    SECTION("file with content") {
        Node n = v2_node("a.txt", NodeType::file, 8389101, at(1672628645, 123456789, 3600), at(1672628645, 123456789, 3600),
                         at(1795407958, 516847787, 3600), 10961630);
        n.size = 12;
        n.links = 1;
        n.content = {id_of("a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447")};
        CHECK_SAME_BYTES(single_node_tree(kTreeV2Src, "a.txt"), encode_tree({n}));
    }
    SECTION("empty file: no size, \"content\":[]") {
        const Time t = at(1795407958, 511665906, 3600);
        Node n = v2_node("empty", NodeType::file, 420, t, t, t, 10961631);
        n.links = 1;
        std::string bytes = encode_tree({n});
        CHECK_SAME_BYTES(single_node_tree(kTreeV2Src, "empty"), bytes);
        CHECK(bytes.find("\"content\":[]") != std::string::npos);
    }
    SECTION("dir: no links, \"content\":null, subtree") {
        const Time t = at(1795407958, 513124778, 3600);
        Node n = v2_node("emptydir", NodeType::dir, 2147484141, t, t, t, 10961633);
        n.subtree = id_of(kEmptyTreeId);
        CHECK_SAME_BYTES(single_node_tree(kTreeV2Src, "emptydir"), encode_tree({n}));
    }
    SECTION("symlink: linktarget, \"content\":null") {
        Node n = v2_node("link", NodeType::symlink, 134218239, at(1672628645, 0, 3600), at(1672628645, 0, 3600),
                         at(1795407958, 516847787, 3600), 10961632);
        n.links = 1;
        n.linktarget = "a.txt";
        CHECK_SAME_BYTES(single_node_tree(kTreeV2Src, "link"), encode_tree({n}));
    }
    SECTION("fifo") {
        const Time t = at(1795407958, 513124778, 3600);
        Node n = v2_node("fifo", NodeType::fifo, 33554852, t, t, t, 10961635);
        CHECK_SAME_BYTES(single_node_tree(kTreeV2Src, "fifo"), encode_tree({n}));
    }
    SECTION("the name of §8.4") {
        Node n = v2_node("we\"ird\\na\tme<&>\xc3\xa9", NodeType::file, 420, t0, t0, t0, 10961636);
        n.size = 1;
        n.links = 1;
        n.content = {id_of("a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa")};
        CHECK_SAME_BYTES(single_node_tree(kTreeV2Src, R"(we\\\"ird\\\\na\\tme\u003c\u0026\u003e)" "\xc3\xa9"), encode_tree({n}));
    }
    SECTION("zero mode, size, links, inode omitted; uid and gid 0 written; error last") {
        Node n;
        n.name = "x";
        n.mtime = n.atime = n.ctime = at(1700000000, 0, 0);
        n.error = "lstat x: <gone>";
        CHECK(encode_tree({n}) ==
              "{\"nodes\":[{\"name\":\"x\",\"type\":\"file\",\"mtime\":\"2023-11-14T22:13:20Z\","
              "\"atime\":\"2023-11-14T22:13:20Z\",\"ctime\":\"2023-11-14T22:13:20Z\",\"uid\":0,\"gid\":0,"
              "\"content\":[],\"error\":\"lstat x: \\u003cgone\\u003e\"}]}\n");
    }
    SECTION("xattrs and device numbers") {
        Node n;
        n.name = "zx";
        n.type = NodeType::chardev;
        n.mtime = n.atime = n.ctime = at(1700000000, 0, 0);
        n.device = 34819;
        n.xattrs = {{"user.foo", "bar\0\xff"s}, {"user.a<b", ""}};
        CHECK(encode_tree({n}) ==
              "{\"nodes\":[{\"name\":\"zx\",\"type\":\"chardev\",\"mtime\":\"2023-11-14T22:13:20Z\","
              "\"atime\":\"2023-11-14T22:13:20Z\",\"ctime\":\"2023-11-14T22:13:20Z\",\"uid\":0,\"gid\":0,"
              "\"extended_attributes\":[{\"name\":\"user.foo\",\"value\":\"YmFyAP8=\"},"
              "{\"name\":\"user.a\\u003cb\",\"value\":\"\"}],\"device\":34819,\"content\":null}]}\n");
    }
}

TEST_CASE("encode_tree refuses unsorted and duplicate names (byte order)", "[repo][format]") {
    auto named = [](std::initializer_list<std::string> names) {
        std::vector<Node> nodes;
        for (auto &s : names) {
            Node n;
            n.name = s;
            nodes.push_back(n);
        }
        return nodes;
    };
    CHECK_NOTHROW(encode_tree(named({"B", "a", "b"})));
    CHECK_NOTHROW(encode_tree(named({"a", "a\0"s, "ab", "z", "\xc3\xa9", "\xff"})));
    CHECK_REFUSED(encode_tree(named({"b", "a"})));
    CHECK_REFUSED(encode_tree(named({"a", "a"})));
    CHECK_REFUSED(encode_tree(named({"a", "b", "b", "c"})));
    CHECK_REFUSED(encode_tree(named({"a", "c", "b"})));
    CHECK_REFUSED(encode_tree(named({"\xff", "a"})));       // bytes compare unsigned
    CHECK_REFUSED(encode_tree(named({"\xc3\xa9", "z"})));
    CHECK_REFUSED(encode_tree(named({"ab", "a"})));

    // Decoded trees keep restic's order, so a tree restic wrote re-encodes.
    auto nodes = decode_tree(kTreeV2Src);
    std::swap(nodes[0], nodes[1]);
    CHECK_REFUSED(encode_tree(nodes));
}

TEST_CASE("decode(encode(nodes)) == nodes for random names and fields", "[repo][format]") {
    std::mt19937 rng(812);
    std::uniform_int_distribution<int> type(0, 6), small(0, 3);
    std::uniform_int_distribution<std::uint32_t> u32;
    std::uniform_int_distribution<std::int64_t> sec(-2000000000, 4000000000);
    std::uniform_int_distribution<std::int32_t> nsec(0, 999999999), off(-14 * 60, 14 * 60);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::string> names;
        for (int i = small(rng) * 3; i > 0; --i) {
            std::string s = random_bytes_string(rng, 12);
            if (!s.empty()) names.push_back(s);
        }
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        std::vector<Node> nodes;
        for (auto &name : names) {
            Node n;
            n.name = name;
            n.type = NodeType(type(rng));
            n.mode = small(rng) ? u32(rng) : 0;
            // One draw per statement: argument evaluation order differs between compilers.
            for (Time *t : {&n.mtime, &n.atime, &n.ctime}) {
                t->sec = sec(rng);
                t->nsec = small(rng) ? nsec(rng) : 0;
                t->offset = off(rng) * 60;
            }
            n.uid = u32(rng);
            n.gid = u32(rng);
            if (small(rng)) n.user = "user<" + std::to_string(u32(rng)) + ">";
            n.inode = u32(rng);
            n.size = small(rng) ? std::uint64_t(u32(rng)) << 20 : 0;
            if (n.type == NodeType::symlink) n.linktarget = "../t&" + std::to_string(u32(rng));
            if (n.type == NodeType::file)
                for (int k = small(rng); k > 0; --k) n.content.push_back(sha256(std::to_string(u32(rng))));
            if (n.type == NodeType::dir) n.subtree = sha256(name);
            if (small(rng) == 0) n.xattrs.push_back({"user.k", random_bytes_string(rng, 8)});
            nodes.push_back(n);
        }
        std::string bytes = encode_tree(nodes);
        INFO(show(bytes));
        auto back = decode_tree(bytes);
        REQUIRE(back.size() == nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const Node &a = nodes[i], &b = back[i];
            CHECK(a.name == b.name);
            CHECK(a.type == b.type);
            CHECK(a.mode == b.mode);
            CHECK(a.mtime == b.mtime);
            CHECK(a.mtime.offset == b.mtime.offset);
            CHECK(a.atime == b.atime);
            CHECK(a.ctime == b.ctime);
            CHECK(a.uid == b.uid);
            CHECK(a.gid == b.gid);
            CHECK(a.user == b.user);
            CHECK(a.inode == b.inode);
            CHECK(a.size == b.size);
            CHECK(a.linktarget == b.linktarget);
            CHECK(a.content == b.content);
            CHECK(a.subtree == b.subtree);
            REQUIRE(a.xattrs.size() == b.xattrs.size());
            for (std::size_t k = 0; k < a.xattrs.size(); ++k) CHECK(a.xattrs[k].value == b.xattrs[k].value);
        }
        CHECK(encode_tree(back) == bytes);
    }
}

TEST_CASE("decode_tree accepts any valid JSON layout and ignores unknown keys", "[repo][format]") {
    const std::string pretty = R"({
      "nodes": [
        {
          "name": "f",
          "type": "file",
          "mode": 420,
          "mtime": "2023-11-14T22:13:20.1Z",
          "uid": 1000,
          "generic_attributes": {"x": 1},
          "content": ["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]
        }
      ],
      "future": true
    })";
    auto nodes = decode_tree(pretty);
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].name == "f");
    CHECK(nodes[0].uid == 1000u);
    CHECK(nodes[0].mtime.nsec == 100000000);
    CHECK(nodes[0].content.size() == 1);
}

TEST_CASE("decode_tree refuses nodes restic 0.14 refuses to load or check", "[repo][format]") {
    const std::string t = R"("mtime":"2023-11-14T22:13:20Z","atime":"2023-11-14T22:13:20Z","ctime":"2023-11-14T22:13:20Z","uid":0,"gid":0)";
    const std::string sub = R"("subtree":")" + std::string(kEmptyTreeId) + "\"";
    auto tree = [](const std::string &node) { return "{\"nodes\":[" + node + "]}\n"; };

    // Sanity: the well-formed variants decode.
    CHECK_NOTHROW(decode_tree(tree(R"({"name":"f","type":"file",)" + t + R"(,"content":[]})")));
    CHECK_NOTHROW(decode_tree(tree(R"({"name":"d","type":"dir",)" + t + R"(,"content":null,)" + sub + "}")));
    CHECK_NOTHROW(decode_tree(tree(R"({"name":"s","type":"socket",)" + t + R"(,"content":null})")));

    SECTION("file with content null or without content") {
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file",)" + t + R"(,"content":null})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file",)" + t + "}")));
    }
    SECTION("dir without subtree") {
        CHECK_REFUSED(decode_tree(tree(R"({"name":"d","type":"dir",)" + t + R"(,"content":null})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"d","type":"dir",)" + t + R"(,"content":null,"subtree":null})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"d","type":"dir",)" + t + R"(,"content":null,"subtree":"ac08"})")));
    }
    SECTION("unknown or missing type") {
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"weird",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"File",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f",)" + t + R"(,"content":[]})")));
    }
    SECTION("bad name escape") {
        CHECK_REFUSED(decode_tree(tree(R"({"name":"a\\qb","type":"file",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"a\\","type":"file",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"a\\xZZ","type":"file",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"a\"b","type":"file",)" + t + R"(,"content":[]})")));  // unescaped quote in the body
        CHECK_REFUSED(decode_tree(tree(R"({"name":"\\ud800","type":"file",)" + t + R"(,"content":[]})")));
    }
    SECTION("empty or missing name") {
        CHECK_REFUSED(decode_tree(tree(R"({"name":"","type":"file",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"type":"file",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":null,"type":"file",)" + t + R"(,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":7,"type":"file",)" + t + R"(,"content":[]})")));
    }
    SECTION("bad content, times, numbers, xattrs") {
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file",)" + t + R"(,"content":["abc"]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file",)" + t + R"(,"content":[1]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file",)" + t + R"(,"content":"x"})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file","mtime":"yesterday","content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file","mtime":1700000000,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file","mode":"420","content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file","uid":-1,"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file","size":1.5,"content":[]})")));
        CHECK_REFUSED(decode_tree(
            tree(R"({"name":"f","type":"file","extended_attributes":[{"name":"a","value":"Zg"}],"content":[]})")));
        CHECK_REFUSED(decode_tree(tree(R"({"name":"f","type":"file","extended_attributes":{},"content":[]})")));
    }
    SECTION("not a tree") {
        CHECK_REFUSED(decode_tree(""));
        CHECK_REFUSED(decode_tree("{\"nodes\":[]"));
        CHECK_REFUSED(decode_tree("[]"));
        CHECK_REFUSED(decode_tree("{\"nodes\":{}}"));
        CHECK_REFUSED(decode_tree("{\"nodes\":[1]}"));
        CHECK_REFUSED(decode_tree("{\"nodes\":[]} x"));
        CHECK_REFUSED(decode_tree(std::string(100, '[') + std::string(100, ']')));
    }
}

TEST_CASE("decode_tree refuses names restic 0.14's strconv.Unquote refuses", "[repo][format]") {
    const std::string t = R"(,"content":[]})";
    CHECK_REFUSED(decode_tree(R"({"nodes":[{"name":"it\\'s","type":"file")" + t + "]}"));
    CHECK_REFUSED(decode_tree(R"({"nodes":[{"name":"a\nb","type":"file")" + t + "]}"));
}

TEST_CASE("decoders refuse numbers too large for restic's uint32 fields, as Go's decoder does", "[repo][format]") {
    // Go's encoding/json refuses to unmarshal 4294967296 into a uint32 (or a
    // repository version into anything but 1..2), so restic 0.14 refuses the
    // whole file; a silent truncation would turn uid 4294967297 into uid 1.
    const std::string node = R"({"nodes":[{"name":"f","type":"file","mtime":"2023-11-14T22:13:20Z",)";
    CHECK_REFUSED(decode_tree(node + R"("uid":4294967297,"content":[]}]})"));
    CHECK_REFUSED(decode_tree(node + R"("gid":4294967296,"content":[]}]})"));
    CHECK_REFUSED(decode_tree(node + R"("mode":4294967716,"content":[]}]})"));
    const std::string snap = R"({"time":"2026-11-23T05:26:02+01:00","tree":")" + std::string(kEmptyTreeId) + "\"";
    CHECK_REFUSED(decode_snapshot(snap + R"(,"uid":4294967297})"));
    CHECK_REFUSED(decode_snapshot(snap + R"(,"gid":4294967297})"));
    CHECK_REFUSED(decode_lock(R"({"time":"2026-11-23T05:26:02+01:00","uid":4294967297})"));
    CHECK_REFUSED(decode_config(R"({"version":4294967297,"id":"8b488dbebdee641be002aa5c839f9c336fd9db55e67689c47af383bd11d719c7","chunker_polynomial":"2fd3d4f285a625"})"));
    // The largest values do decode.
    CHECK(decode_tree(node + R"("uid":4294967295,"gid":4294967295,"mode":4294967295,"content":[]}]})")[0].uid == 4294967295u);
}

// ==================================================================== snapshots (§9)

TEST_CASE("encode_snapshot(decode_snapshot(json)) reproduces restic 0.14 snapshots byte for byte", "[repo][format]") {
    const std::string *fixtures[] = {&kSnapV1,       &kSnapV2,       &kSnapTwoPaths, &kSnapNoUser,
                                     &kSnapEscapes,  &kSnapOriginal, &kSnapUid,      &kSnapUidParent};
    for (auto *f : fixtures) {
        INFO(*f);
        CHECK_SAME_BYTES(*f, encode_snapshot(decode_snapshot(*f)));
    }
}

TEST_CASE("decode_snapshot reads every field", "[repo][format]") {
    auto s = decode_snapshot(kSnapOriginal);
    CHECK(s.time.sec == 1795408100);
    CHECK(s.time.nsec == 147132701);
    CHECK(s.time.offset == 19800);
    REQUIRE(s.parent.has_value());
    CHECK(to_hex(*s.parent) == "a782752346b2f6e5c82b06feaca5ea372b9200bc644129ad3a7ac876ca2e1d31");
    CHECK(to_hex(s.tree) == "6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508");
    CHECK(s.paths == std::vector<std::string>{"/tmp/fx/r4src/np"});
    CHECK(s.hostname == "host<&>");
    CHECK(s.username.empty());
    CHECK(s.uid == 0u);
    CHECK(s.gid == 0u);
    CHECK(s.excludes == std::vector<std::string>{"*.tmp", "a<b&c"});
    CHECK(s.tags == std::vector<std::string>{"a", "b", "c\"d", "x"});
    REQUIRE(s.original.has_value());
    CHECK(to_hex(*s.original) == "664d2239bab3d6a63611ff44df08606221324f853c0bc684ec9a5844030c91fe");

    auto u = decode_snapshot(kSnapUid);
    CHECK(u.username == "daemon");
    CHECK(u.uid == 1u);
    CHECK(u.gid == 1u);
    CHECK_FALSE(u.parent.has_value());
    CHECK_FALSE(u.original.has_value());
    CHECK(u.tags == std::vector<std::string>{"a"});

    auto two = decode_snapshot(kSnapTwoPaths);
    CHECK(two.paths == std::vector<std::string>{"/tmp/fx/r4src/ok", "/tmp/fx/r4src/np"});
    CHECK(two.time.offset == -12600);
}

TEST_CASE("encode_snapshot writes a snapshot built from scratch exactly as restic 0.14", "[repo][format]") {
    Snapshot s;
    s.time = at(1795408100, 147132701, 19800);
    s.parent = id_of("a782752346b2f6e5c82b06feaca5ea372b9200bc644129ad3a7ac876ca2e1d31");
    s.tree = id_of("6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508");
    s.paths = {"/tmp/fx/r4src/np"};
    s.hostname = "host<&>";
    s.excludes = {"*.tmp", "a<b&c"};
    s.tags = {"a", "b", "c\"d", "x"};
    s.original = id_of("664d2239bab3d6a63611ff44df08606221324f853c0bc684ec9a5844030c91fe");
    CHECK_SAME_BYTES(kSnapOriginal, encode_snapshot(s));

    Snapshot r;  // root: uid/gid 0 omitted, no trailing newline
    r.time = at(1795407962, 576966453, 3600);
    r.tree = id_of("e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac");
    r.paths = {"/tmp/fx/src"};
    r.hostname = "h1";
    r.username = "root";
    r.tags = {"t1"};
    CHECK_SAME_BYTES(kSnapV2, encode_snapshot(r));
}

TEST_CASE("decode_snapshot refuses malformed snapshots", "[repo][format]") {
    const std::string tree = R"("tree":"e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac")";
    const std::string time = R"("time":"2026-11-23T05:26:02.576966453+01:00")";
    CHECK_NOTHROW(decode_snapshot("{" + time + "," + tree + "}"));
    CHECK_REFUSED(decode_snapshot("{" + time + "}"));                                          // no tree
    CHECK_REFUSED(decode_snapshot("{" + time + R"(,"tree":"e86a94"})"));                      // short tree ID
    CHECK_REFUSED(decode_snapshot("{" + time + R"(,"tree":null})"));
    CHECK_REFUSED(decode_snapshot("{" + tree + "}"));                                          // no time
    CHECK_REFUSED(decode_snapshot(R"({"time":"now",)" + tree + "}"));
    CHECK_REFUSED(decode_snapshot("{" + time + "," + tree + R"(,"paths":"/x"})"));
    CHECK_REFUSED(decode_snapshot("{" + time + "," + tree + R"(,"paths":[1]})"));
    CHECK_REFUSED(decode_snapshot("{" + time + "," + tree + R"(,"parent":"zz"})"));
    CHECK_REFUSED(decode_snapshot("{" + time + "," + tree + R"(,"uid":-1})"));
    CHECK_REFUSED(decode_snapshot("{" + time + "," + tree + R"(,"tags":{}})"));
    CHECK_REFUSED(decode_snapshot("[]"));
    CHECK_REFUSED(decode_snapshot(""));
    CHECK_REFUSED(decode_snapshot(kSnapV2.substr(0, kSnapV2.size() - 1)));
}

// ==================================================================== pack headers (§5)

TEST_CASE("decode_pack_header reads restic 0.14 headers and computes offsets", "[repo][format]") {
    SECTION("v1 data pack: 37-byte entries") {
        auto e = decode_pack_header(unhex(kPackHeaderV1Data), 1);
        REQUIRE(e.size() == 4);
        CHECK(e[0].type == BlobType::data);
        CHECK(to_hex(e[0].id) == "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
        CHECK(e[0].offset == 0u);
        CHECK(e[0].length == 44u);
        CHECK(e[0].uncompressed_length == 0u);
        CHECK(e[1].offset == 44u);
        CHECK(e[2].offset == 77u);
        CHECK(e[3].offset == 110u);
        CHECK(e[3].length == 33u);
        CHECK(pack_header_size(e) == 4 * 37 + 32);
        // Version 2 reads version 1 headers too.
        auto e2 = decode_pack_header(unhex(kPackHeaderV1Data), 2);
        REQUIRE(e2.size() == 4);
        CHECK(same_entry(e2[3], e[3]));
    }
    SECTION("v2 tree pack: 41-byte entries") {
        auto e = decode_pack_header(unhex(kPackHeaderV2Tree), 2);
        REQUIRE(e.size() == 6);
        for (auto &x : e) CHECK(x.type == BlobType::tree);
        CHECK(to_hex(e[0].id) == kEmptyTreeId);
        CHECK(e[0].length == 54u);
        CHECK(e[0].uncompressed_length == 13u);
        CHECK(e[2].offset == 306u);
        CHECK(e[2].length == 719u);
        CHECK(e[2].uncompressed_length == 2706u);
        CHECK(e[5].offset == 1529u);
        CHECK(pack_header_size(e) == 6 * 41 + 32);
    }
}

TEST_CASE("encode_pack_header(decode_pack_header(h)) reproduces restic 0.14 headers", "[repo][format]") {
    for (auto [hex, version] : {std::pair{kPackHeaderV1Data, 1u}, std::pair{kPackHeaderV1Tree, 1u},
                                std::pair{kPackHeaderV2Data, 2u}, std::pair{kPackHeaderV2Tree, 2u}}) {
        const std::string plain = unhex(hex);
        auto entries = decode_pack_header(plain, version);
        CHECK_SAME_BYTES(plain, encode_pack_header(entries));
        CHECK(pack_header_size(entries) == plain.size() + kCryptoOverhead);
    }
    PackEntry d;
    d.type = BlobType::data;
    d.id = id_of("a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
    d.length = 44;
    CHECK(encode_pack_header({d}) == unhex("002c000000a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"));
    PackEntry t;
    t.type = BlobType::tree;
    t.id = id_of(kEmptyTreeId);
    t.length = 54;
    t.uncompressed_length = 13;
    CHECK(encode_pack_header({t}) ==
          unhex("03360000000d000000ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"));
    d.uncompressed_length = 0x01020304;
    d.length = 0xa0b0c0d0;
    CHECK(encode_pack_header({d}).substr(0, 9) == unhex("02d0c0b0a004030201"));
    CHECK(pack_header_size({}) == 32);
    CHECK(pack_header_size({d, t, PackEntry{}}) == 32 + 41 + 41 + 37);
}

TEST_CASE("pack headers agree with the index restic 0.14 wrote for the same packs", "[repo][format]") {
    auto check_pack = [](const IndexFile &idx, const char *pack, const char *header_hex, unsigned version) {
        INFO("pack " << pack);
        auto it = std::find_if(idx.packs.begin(), idx.packs.end(), [&](const IndexPack &p) { return to_hex(p.id) == pack; });
        REQUIRE(it != idx.packs.end());
        auto from_index = it->blobs;
        auto from_header = decode_pack_header(unhex(header_hex), version);
        auto by_offset = [](const PackEntry &a, const PackEntry &b) { return a.offset < b.offset; };
        std::sort(from_index.begin(), from_index.end(), by_offset);  // the index lists blobs in Go map order
        REQUIRE(from_index.size() == from_header.size());
        for (std::size_t i = 0; i < from_index.size(); ++i) CHECK(same_entry(from_index[i], from_header[i]));
    };
    auto v1 = decode_index(kIndexV1, 1);
    check_pack(v1, "c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21", kPackHeaderV1Data, 1);
    check_pack(v1, "727304ee34c296c87eb86c7a161cfd292eed2849a2337b552579e0858a3fa79e", kPackHeaderV1Tree, 1);
    auto v2 = decode_index(kIndexV2, 2);
    check_pack(v2, "6cfe12c5e9cd21667983b475f850f7ceaccad50a38945fe8cc3b5a96db8e3432", kPackHeaderV2Data, 2);
    check_pack(v2, "b36b510d140e04d1b8639f5cea0dc787b8573884bbe5c4834a2d7758b878c8c8", kPackHeaderV2Tree, 2);
}

TEST_CASE("decode_pack_header refuses malformed headers", "[repo][format]") {
    const std::string v1 = unhex(kPackHeaderV1Data), v2 = unhex(kPackHeaderV2Data);
    const std::string id(32, '\x11');
    auto entry = [&](unsigned char type, std::uint32_t len, std::optional<std::uint32_t> ulen = std::nullopt) {
        std::string e(1, char(type));
        for (int i = 0; i < 4; ++i) e.push_back(char((len >> (8 * i)) & 0xff));
        if (ulen)
            for (int i = 0; i < 4; ++i) e.push_back(char((*ulen >> (8 * i)) & 0xff));
        return e + id;
    };
    SECTION("compressed types in a version 1 repository") {
        CHECK_REFUSED(decode_pack_header(v2, 1));
        CHECK_REFUSED(decode_pack_header(unhex(kPackHeaderV2Tree), 1));
        CHECK_REFUSED(decode_pack_header(v1 + entry(2, 50, 10), 1));
        CHECK_REFUSED(decode_pack_header(entry(3, 50, 10), 1));
        CHECK_NOTHROW(decode_pack_header(v1 + entry(2, 50, 10), 2));
    }
    SECTION("unknown types") {
        for (unsigned char type : {4, 5, 0x80, 0xff}) {
            INFO("type " << int(type));
            CHECK_REFUSED(decode_pack_header(entry(type, 50), 2));
            CHECK_REFUSED(decode_pack_header(entry(type, 50, 10), 2));
            CHECK_REFUSED(decode_pack_header(v1 + entry(type, 50, 10), 2));
        }
    }
    SECTION("truncated") {
        CHECK_REFUSED(decode_pack_header(v1.substr(0, v1.size() - 1), 1));
        CHECK_REFUSED(decode_pack_header(v1.substr(0, 36), 1));
        CHECK_REFUSED(decode_pack_header(v1 + std::string(1, '\0'), 1));
        CHECK_REFUSED(decode_pack_header(v2.substr(0, v2.size() - 1), 2));
        CHECK_REFUSED(decode_pack_header(v2.substr(0, 40), 2));
        CHECK_REFUSED(decode_pack_header(v2.substr(0, 37), 2));  // a whole 37 bytes, but type 2 needs 41
        CHECK_REFUSED(decode_pack_header(std::string(1, '\0'), 2));
    }
    SECTION("compressed entry with uncompressed_length 0") {
        CHECK_REFUSED(decode_pack_header(entry(2, 50, 0), 2));
        CHECK_REFUSED(decode_pack_header(entry(3, 50, 0), 2));
        CHECK_REFUSED(decode_pack_header(v2 + entry(2, 50, 0), 2));
    }
    SECTION("blob shorter than the crypto overhead") {
        // wphost's own sanity check (restic 0.14 parses such an entry and fails later, on decryption).
        CHECK_REFUSED(decode_pack_header(entry(0, 31), 1));
        CHECK_REFUSED(decode_pack_header(entry(2, 0, 5), 2));
        CHECK_NOTHROW(decode_pack_header(entry(0, 32), 1));
    }
    SECTION("offsets past 4 GiB") {
        const std::string big = entry(0, 0x80000000u);
        CHECK_NOTHROW(decode_pack_header(big + big, 1));
        CHECK_REFUSED(decode_pack_header(big + big + entry(0, 40), 1));
    }
}

// ==================================================================== index files (§6)

TEST_CASE("encode_index(decode_index(json)) reproduces restic 0.14 index files byte for byte", "[repo][format]") {
    CHECK_SAME_BYTES(kIndexV1, encode_index(decode_index(kIndexV1, 1)));
    CHECK_SAME_BYTES(kIndexV1Supersedes, encode_index(decode_index(kIndexV1Supersedes, 1)));
    CHECK_SAME_BYTES(kIndexV2, encode_index(decode_index(kIndexV2, 2)));
    CHECK_SAME_BYTES(kIndexV2Big, encode_index(decode_index(kIndexV2Big, 2)));
    // v2 repositories read v1-style entries as well.
    CHECK_SAME_BYTES(kIndexV1, encode_index(decode_index(kIndexV1, 2)));
}

TEST_CASE("decode_index reads every field", "[repo][format]") {
    auto idx = decode_index(kIndexV1Supersedes, 1);
    REQUIRE(idx.supersedes.size() == 2);
    CHECK(to_hex(idx.supersedes[0]) == "ff662ad934df23d32db208281b4a6764fdf932616e7114ebc8892608df92b7b6");
    CHECK(to_hex(idx.supersedes[1]) == "f327e9345055f6ff18d514211c8082b64e682dca7274a993cc1381bb4c987c98");
    REQUIRE(idx.packs.size() == 4);
    CHECK(to_hex(idx.packs[1].id) == "247496981ac0df8a764e8ca4aaf2c36606bcff4f771afb3bbbb567c67c868296");
    REQUIRE(idx.packs[1].blobs.size() == 1);
    CHECK(idx.packs[1].blobs[0].length == 35u);
    CHECK(idx.packs[2].blobs.size() == 6);

    auto v2 = decode_index(kIndexV2Big, 2);
    CHECK(v2.supersedes.empty());
    REQUIRE(v2.packs.size() == 2);
    const PackEntry &b = v2.packs[0].blobs[0];
    CHECK(to_hex(b.id) == "383a0d6a0d0a3526cda821af2f532ed402a38dc39ba6eaf2610ea1a412b6f2c2");
    CHECK(b.type == BlobType::data);
    CHECK(b.offset == 253490u);
    CHECK(b.length == 2746832u);
    CHECK(b.uncompressed_length == 2746727u);
    CHECK(v2.packs[1].blobs[0].type == BlobType::tree);
}

TEST_CASE("encode_index omits empty supersedes and zero uncompressed_length", "[repo][format]") {
    IndexFile idx;
    IndexPack p;
    p.id = id_of("c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21");
    PackEntry e;
    e.type = BlobType::data;
    e.id = id_of("a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
    e.offset = 0;
    e.length = 44;
    p.blobs.push_back(e);
    e.type = BlobType::tree;
    e.offset = 44;
    e.length = 54;
    e.uncompressed_length = 13;
    p.blobs.push_back(e);
    idx.packs.push_back(p);
    CHECK(encode_index(idx) ==
          R"({"packs":[{"id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21","blobs":[)"
          R"({"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":44},)"
          R"({"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"tree","offset":44,"length":54,"uncompressed_length":13}]}]})"
          "\n");
    CHECK(encode_index(IndexFile{}) == "{\"packs\":[]}\n");
    idx.supersedes.push_back(id_of(kEmptyTreeId));
    CHECK(encode_index(idx).rfind(std::string("{\"supersedes\":[\"") + kEmptyTreeId + "\"],\"packs\":[", 0) == 0);
}

TEST_CASE("decode_index refuses compressed entries in version 1 and malformed files", "[repo][format]") {
    CHECK_REFUSED(decode_index(kIndexV2, 1));
    CHECK_REFUSED(decode_index(kIndexV2Big, 1));

    const std::string pid = R"("id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21")";
    const std::string bid = R"("id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447")";
    auto index = [&](const std::string &blob) { return R"({"packs":[{)" + pid + R"(,"blobs":[{)" + blob + "}]}]}"; };
    CHECK_NOTHROW(decode_index(index(bid + R"(,"type":"data","offset":0,"length":44)"), 1));
    CHECK_NOTHROW(decode_index(index(bid + R"(,"type":"data","offset":4294967295,"length":4294967295)"), 1));

    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":0,"length":44,"uncompressed_length":12)"), 1));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"blob","offset":0,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"Data","offset":0,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"offset":0,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(R"("id":"a948","type":"data","offset":0,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(R"("type":"data","offset":0,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","length":44)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":0)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":-1,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":4294967296,"length":44)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":0,"length":4294967296)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":0,"length":31)"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":0,"length":"44")"), 2));
    CHECK_REFUSED(decode_index(index(bid + R"(,"type":"data","offset":0,"length":44,"uncompressed_length":4294967296)"), 2));
    CHECK_REFUSED(decode_index(R"({"packs":[{"id":"c72e","blobs":[]}]})", 2));
    CHECK_REFUSED(decode_index(R"({"packs":[{)" + pid + "}]}", 2));
    CHECK_REFUSED(decode_index(R"({"packs":[{)" + pid + R"(,"blobs":{}}]})", 2));
    CHECK_REFUSED(decode_index(R"({"packs":[1]})", 2));
    CHECK_REFUSED(decode_index(R"({"packs":{}})", 2));
    CHECK_REFUSED(decode_index(R"({"supersedes":[]})", 2));
    CHECK_REFUSED(decode_index(R"({"supersedes":["ab"],"packs":[]})", 2));
    CHECK_REFUSED(decode_index(R"({"supersedes":"x","packs":[]})", 2));
    CHECK_REFUSED(decode_index("", 2));
    CHECK_REFUSED(decode_index("{", 2));
    CHECK_REFUSED(decode_index("7", 2));
}

TEST_CASE("decode_index reads the legacy array format", "[repo][format]") {
    auto idx = decode_index(R"([{"id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21","blobs":[)"
                            R"({"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":44}]}])",
                            1);
    CHECK(idx.supersedes.empty());
    REQUIRE(idx.packs.size() == 1);
    REQUIRE(idx.packs[0].blobs.size() == 1);
    CHECK(idx.packs[0].blobs[0].length == 44u);
}

// ==================================================================== config (§1.4)

TEST_CASE("config: restic 0.14 files round trip byte for byte", "[repo][format]") {
    CHECK_SAME_BYTES(kConfigV1, encode_config(decode_config(kConfigV1)));
    CHECK_SAME_BYTES(kConfigV2, encode_config(decode_config(kConfigV2)));
    auto c = decode_config(kConfigV2);
    CHECK(c.version == 2u);
    CHECK(c.id == "8b488dbebdee641be002aa5c839f9c336fd9db55e67689c47af383bd11d719c7");
    CHECK(c.chunker_polynomial == 0x2fd3d4f285a625ull);
    CHECK(decode_config(kConfigV1).version == 1u);

    Config scratch;
    scratch.version = 2;
    scratch.id = "8b488dbebdee641be002aa5c839f9c336fd9db55e67689c47af383bd11d719c7";
    scratch.chunker_polynomial = 0x2fd3d4f285a625ull;
    CHECK(encode_config(scratch) == kConfigV2);
    scratch.chunker_polynomial = 0x1;  // lowercase hex without leading zeros
    CHECK(encode_config(scratch).find(R"("chunker_polynomial":"1"})") != std::string::npos);
    scratch.chunker_polynomial = 0x3DA3358B4DC173ull;
    CHECK(encode_config(scratch).find(R"("chunker_polynomial":"3da3358b4dc173"})") != std::string::npos);
}

TEST_CASE("decode_config refuses unsupported versions and malformed fields", "[repo][format]") {
    const std::string id = R"("id":"8b488dbebdee641be002aa5c839f9c336fd9db55e67689c47af383bd11d719c7")";
    CHECK_NOTHROW(decode_config(R"({"version":1,)" + id + R"(,"chunker_polynomial":"2FD3D4F285A625"})"));
    CHECK_REFUSED(decode_config(R"({"version":0,)" + id + R"(,"chunker_polynomial":"2fd3d4f285a625"})"));
    CHECK_REFUSED(decode_config(R"({"version":3,)" + id + R"(,"chunker_polynomial":"2fd3d4f285a625"})"));
    CHECK_REFUSED(decode_config(R"({)" + id + R"(,"chunker_polynomial":"2fd3d4f285a625"})"));
    CHECK_REFUSED(decode_config(R"({"version":"2",)" + id + R"(,"chunker_polynomial":"2fd3d4f285a625"})"));
    CHECK_REFUSED(decode_config(R"({"version":2,"chunker_polynomial":"2fd3d4f285a625"})"));
    CHECK_REFUSED(decode_config(R"({"version":2,)" + id + "}"));
    CHECK_REFUSED(decode_config(R"({"version":2,)" + id + R"(,"chunker_polynomial":""})"));
    CHECK_REFUSED(decode_config(R"({"version":2,)" + id + R"(,"chunker_polynomial":"0x2fd3d4f285a625"})"));
    CHECK_REFUSED(decode_config(R"({"version":2,)" + id + R"(,"chunker_polynomial":"-1"})"));
    CHECK_REFUSED(decode_config(R"({"version":2,)" + id + R"(,"chunker_polynomial":"12345678901234567"})"));
    CHECK_REFUSED(decode_config(R"({"version":2,)" + id + R"(,"chunker_polynomial":15154226536000037})"));
    CHECK_REFUSED(decode_config(""));
    CHECK_REFUSED(decode_config("[]"));
}

// ==================================================================== key files and the master key (§2)

TEST_CASE("key files: restic 0.14 files round trip byte for byte", "[repo][format]") {
    CHECK_SAME_BYTES(kKeyV1, encode_key_file(decode_key_file(kKeyV1)));
    CHECK_SAME_BYTES(kKeyV2, encode_key_file(decode_key_file(kKeyV2)));
    CHECK(to_hex(sha256(kKeyV1)) == "4b84e6ec5930fc20bf76e3a459690ca5a3f895a783d773f9e9152731f4dc2874");

    auto k = decode_key_file(kKeyV1);
    CHECK(format_time(k.created) == "2026-11-23T04:26:02.204008332Z");
    CHECK(k.username == "root");
    CHECK(k.hostname == "vm");
    CHECK(k.N == 32768u);
    CHECK(k.r == 8u);
    CHECK(k.p == 4u);
    CHECK(k.salt.size() == 64);
    CHECK(k.data.size() == 16 + 128 + 16);  // IV, the sealed master key JSON, MAC
    CHECK(decode_key_file(kKeyV2).p == 6u);
}

TEST_CASE("master key: restic 0.14 JSON round trips and opens the repository", "[repo][format]") {
    CHECK_SAME_BYTES(kMasterKeyV1, encode_master_key(decode_master_key(kMasterKeyV1)));
    CHECK_SAME_BYTES(kMasterKeyV2, encode_master_key(decode_master_key(kMasterKeyV2)));

    // The whole chain on real files: password -> scrypt -> key file data ->
    // master key JSON -> the sealed config.
    auto kf = decode_key_file(kKeyV1);
    MasterKey user = derive_user_key("pw", kf.salt, kf.N, kf.r, kf.p);
    auto mk_json = open(user, kf.data);
    REQUIRE(mk_json.has_value());
    CHECK(*mk_json == kMasterKeyV1);
    MasterKey mk = decode_master_key(*mk_json);
    CHECK(mk.valid());
    auto config = open(mk, unhex(kConfigV1Sealed));
    REQUIRE(config.has_value());
    CHECK(*config == kConfigV1);
}

TEST_CASE("decode_key_file refuses what restic 0.14 refuses", "[repo][format]") {
    const std::string salt64 = base64_encode(std::string(64, '\x5a'));
    auto key = [&](const std::string &kdf, const std::string &n, const std::string &r, const std::string &p,
                   const std::string &salt, const std::string &data = "\"AAAA\"") {
        return R"({"created":"2026-11-23T04:26:02.204008332Z","username":"root","hostname":"vm",)" + kdf + R"("N":)" + n +
               R"(,"r":)" + r + R"(,"p":)" + p + R"(,"salt":)" + salt + R"(,"data":)" + data + "}";
    };
    const std::string scrypt = R"("kdf":"scrypt",)", q = "\"";
    CHECK_NOTHROW(decode_key_file(key(scrypt, "32768", "8", "1", q + salt64 + q)));
    CHECK_NOTHROW(decode_key_file(key(scrypt, "2", "1", "1", q + salt64 + q)));  // tests use tiny N
    CHECK(decode_key_file(key(scrypt, "16384", "8", "1", q + salt64 + q)).N == 16384u);

    SECTION("kdf must be scrypt") {
        CHECK_REFUSED(decode_key_file(key(R"("kdf":"argon2",)", "32768", "8", "1", q + salt64 + q)));
        CHECK_REFUSED(decode_key_file(key(R"("kdf":"Scrypt",)", "32768", "8", "1", q + salt64 + q)));
        CHECK_REFUSED(decode_key_file(key(R"("kdf":"",)", "32768", "8", "1", q + salt64 + q)));
        CHECK_REFUSED(decode_key_file(key("", "32768", "8", "1", q + salt64 + q)));
    }
    SECTION("salt must be 64 bytes of padded base64") {
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + base64_encode(std::string(63, 'x')) + q)));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + base64_encode(std::string(65, 'x')) + q)));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + base64_encode(std::string(32, 'x')) + q)));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + q)));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + salt64.substr(0, 86) + q)));  // no padding
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", "null")));
    }
    SECTION("N must be a power of two, at least 2, below 2^31") {
        for (const char *n : {"0", "1", "3", "1000", "32767", "32769", "2147483648", "4294967296", "-32768", "32768.5", "\"32768\""}) {
            INFO("N = " << n);
            CHECK_REFUSED(decode_key_file(key(scrypt, n, "8", "1", q + salt64 + q)));
        }
    }
    SECTION("r and p at least 1") {
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "0", "1", q + salt64 + q)));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "0", q + salt64 + q)));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "-8", "1", q + salt64 + q)));
    }
    SECTION("data must be base64") {
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + salt64 + q, "\"AAA\"")));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + salt64 + q, "\"A?==\"")));
        CHECK_REFUSED(decode_key_file(key(scrypt, "32768", "8", "1", q + salt64 + q, "7")));
    }
    SECTION("not a key file") {
        CHECK_REFUSED(decode_key_file(""));
        CHECK_REFUSED(decode_key_file("[]"));
        CHECK_REFUSED(decode_key_file(kKeyV1.substr(0, 100)));
    }
}

TEST_CASE("decode_master_key refuses all-zero keys and wrong sizes", "[repo][format]") {
    const std::string k16 = base64_encode(std::string(16, '\x01')), r16 = base64_encode(std::string(16, '\x02'));
    const std::string e32 = base64_encode(std::string(32, '\x03'));
    const std::string z16 = base64_encode(std::string(16, '\0')), z32 = base64_encode(std::string(32, '\0'));
    auto mk = [](const std::string &k, const std::string &r, const std::string &e) {
        return R"({"mac":{"k":")" + k + R"(","r":")" + r + R"("},"encrypt":")" + e + R"("})";
    };
    auto ok = decode_master_key(mk(k16, r16, e32));
    CHECK(ok.mac_k[0] == 1);
    CHECK(ok.mac_r[15] == 2);
    CHECK(ok.encrypt[31] == 3);
    CHECK(encode_master_key(ok) == mk(k16, r16, e32));

    SECTION("all zero") {
        CHECK_REFUSED(decode_master_key(mk(z16, z16, z32)));
        CHECK_REFUSED(decode_master_key(mk(k16, r16, z32)));
        CHECK_REFUSED(decode_master_key(mk(z16, r16, e32)));
        CHECK_REFUSED(decode_master_key(mk(k16, z16, e32)));
    }
    SECTION("wrong sizes") {
        CHECK_REFUSED(decode_master_key(mk(base64_encode(std::string(15, '\x01')), r16, e32)));
        CHECK_REFUSED(decode_master_key(mk(base64_encode(std::string(17, '\x01')), r16, e32)));
        CHECK_REFUSED(decode_master_key(mk(k16, base64_encode(std::string(15, '\x02')), e32)));
        CHECK_REFUSED(decode_master_key(mk(k16, base64_encode(std::string(32, '\x02')), e32)));
        CHECK_REFUSED(decode_master_key(mk(k16, r16, base64_encode(std::string(31, '\x03')))));
        CHECK_REFUSED(decode_master_key(mk(k16, r16, base64_encode(std::string(33, '\x03')))));
        CHECK_REFUSED(decode_master_key(mk(k16, r16, base64_encode(std::string(16, '\x03')))));
        CHECK_REFUSED(decode_master_key(mk("", r16, e32)));
    }
    SECTION("malformed") {
        CHECK_REFUSED(decode_master_key(mk(k16.substr(0, 22), r16, e32)));  // unpadded
        CHECK_REFUSED(decode_master_key(R"({"encrypt":")" + e32 + R"("})"));
        CHECK_REFUSED(decode_master_key(R"({"mac":"x","encrypt":")" + e32 + R"("})"));
        CHECK_REFUSED(decode_master_key(R"({"mac":{"k":")" + k16 + R"("},"encrypt":")" + e32 + R"("})"));
        CHECK_REFUSED(decode_master_key(R"({"mac":{"k":")" + k16 + R"(","r":")" + r16 + R"("}})"));
        CHECK_REFUSED(decode_master_key(""));
        CHECK_REFUSED(decode_master_key("[]"));
    }
}

// ==================================================================== locks (§10)

TEST_CASE("locks: restic 0.14 files round trip byte for byte", "[repo][format]") {
    for (auto *f : {&kLockV1, &kLockV2, &kLockUid, &kLockNoUser, &kLockExclusive}) {
        INFO(*f);
        CHECK_SAME_BYTES(*f, encode_lock(decode_lock(*f)));
    }
    auto l = decode_lock(kLockUid);
    CHECK(l.time.sec == 1795408121);
    CHECK(l.time.nsec == 728697953);
    CHECK(l.time.offset == 19800);
    CHECK_FALSE(l.exclusive);
    CHECK(l.hostname == "vm");
    CHECK(l.username == "daemon");
    CHECK(l.pid == 3116);
    CHECK(l.uid == 1u);
    CHECK(l.gid == 1u);
    CHECK(decode_lock(kLockExclusive).exclusive);

    Lock scratch;  // exclusive, root: uid/gid omitted, username always written
    scratch.time = at(1795408131, 252002642, -12600);
    scratch.exclusive = true;
    scratch.hostname = "vm";
    scratch.username = "root";
    scratch.pid = 3423;
    CHECK_SAME_BYTES(kLockExclusive, encode_lock(scratch));
    scratch.username.clear();
    scratch.exclusive = false;
    CHECK(encode_lock(scratch).find(R"("exclusive":false,"hostname":"vm","username":"","pid":3423})") !=
          std::string::npos);
}

TEST_CASE("decode_lock refuses malformed locks", "[repo][format]") {
    const std::string time = R"("time":"2026-11-23T05:27:18.728985964+01:00")";
    CHECK_NOTHROW(decode_lock("{" + time + "}"));
    CHECK_REFUSED(decode_lock(R"({"exclusive":false,"hostname":"vm","username":"root","pid":1222})"));
    CHECK_REFUSED(decode_lock(R"({"time":"soon"})"));
    CHECK_REFUSED(decode_lock("{" + time + R"(,"exclusive":"yes"})"));
    CHECK_REFUSED(decode_lock("{" + time + R"(,"exclusive":1})"));
    CHECK_REFUSED(decode_lock("{" + time + R"(,"pid":"1222"})"));
    CHECK_REFUSED(decode_lock("{" + time + R"(,"pid":1.5})"));
    CHECK_REFUSED(decode_lock("{" + time + R"(,"uid":-1})"));
    CHECK_REFUSED(decode_lock("{" + time + R"(,"hostname":7})"));
    CHECK_REFUSED(decode_lock(""));
    CHECK_REFUSED(decode_lock("[]"));
}
