#!/usr/bin/env bash
# Build the libFuzzer targets of fuzz/ with clang in a separate build
# directory, seed a corpus from restic 0.14 fixtures, and run each target.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 20); TARGETs default to all of them
# (pack_header index tree snapshot key unquote site_spec condition http_headers
# s3_xml acme; the fuzz_ prefix is optional).
# Environment: WPH_FUZZ_BUILD (build dir, default <repo>/build-fuzz),
# WPH_FUZZ_JOBS (build parallelism, default nproc).
# The growing corpus is kept in $WPH_FUZZ_BUILD/corpus/<target>, crashes in
# $WPH_FUZZ_BUILD/artifacts/, logs in $WPH_FUZZ_BUILD/logs/.
# Debian: apt-get install -y clang libclang-rt-14-dev
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
secs=${1:-20}
[[ $# -gt 0 ]] && shift
build=${WPH_FUZZ_BUILD:-$root/build-fuzz}
jobs=${WPH_FUZZ_JOBS:-$(nproc)}
all=(pack_header index tree snapshot key unquote site_spec condition http_headers s3_xml acme)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")
for i in "${!targets[@]}"; do targets[$i]=${targets[$i]#fuzz_}; done

if ! [[ $secs =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi
cxx=${CXX:-clang++}
if ! command -v "$cxx" >/dev/null; then
  echo "$cxx not found; on Debian: apt-get install -y clang libclang-rt-14-dev" >&2
  exit 1
fi
cc=${CC:-clang}

cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWPH_FUZZ=ON >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/#/fuzz_}"

seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$build/corpus" "$build/artifacts" "$build/logs"
for t in "${all[@]}"; do mkdir -p "$seeds/$t" "$build/corpus/$t"; done

# hex -> bytes, without xxd
unhex() {
  local h=$1 out="" i
  for ((i = 0; i < ${#h}; i += 2)); do out+="\\x${h:i:2}"; done
  printf '%b' "$out"
}

# ---- seeds: pack header plaintexts restic 0.14 wrote (v1: 37-byte entries, v2: 41-byte entries)
unhex 002c000000a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a4470021000000594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06 >"$seeds/pack_header/v1-data"
unhex 012d000000ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8017f010000160f1f3d521d131d37da0e73966d39df0fe440b868a025ecfbc01e1fa43ad09a >"$seeds/pack_header/v1-tree"
unhex 02350000000c000000a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447022a00000001000000594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06 >"$seeds/pack_header/v2-data"
unhex 03360000000d000000ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8013a0a0000dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9 >"$seeds/pack_header/v2-mixed"

# ---- seeds: Go-quoted node names (§8.4 of the format notes) and raw names
printf '%s' 'we\"ird\\na\tme<&>é' >"$seeds/unquote/weird"
printf '%s' 'bad\xffname' >"$seeds/unquote/bad-utf8"
printf '%s' 'maxrune\U0010ffff nbsp\u00a0 \101\x41\a\b\f\n\r\t\v' >"$seeds/unquote/escapes"
printf 'raw\xff\xe2\x82 \xed\xa0\x80 "q" \\ \x01\x7f\xc2\x85' >"$seeds/unquote/raw-bytes"

# ---- seeds: site specs and php.ini overrides
printf '%s' '{"domain":"example.com"}' >"$seeds/site_spec/minimal"
printf '%s' '{"domain":"bücher.example","aliases":["shop.example.com"],"www":"alias","php":"8.2","cache":"page+object","multisite":"subdomain","tls":"self-signed","php_limits":{"memory_limit":"512M","upload_max_filesize":"1G","max_children":9},"environment":"staging","title":"Ti\"tle","admin_email":"a@b.example","locale":"de_DE"}' >"$seeds/site_spec/full"
printf 'max_execution_time = 60\nmemory_limit = "1G"\n; comment\n' >"$seeds/site_spec/php-ini"

# ---- seeds: probe conditions, each optionally followed by a newline and a response body
printf '%s' '[STATUS] == 200' >"$seeds/condition/status"
printf '%s' '[RESPONSE_TIME] <= 700' >"$seeds/condition/response-time"
printf '%s' '[STATUS] == any(200, 301, 302)' >"$seeds/condition/any"
printf '%s' '[CERTIFICATE_EXPIRATION] > 48h30m' >"$seeds/condition/certificate"
printf '%s' '[DNS_RCODE] == NOERROR' >"$seeds/condition/dns"
printf '%s\n%s' '[BODY].data[0].name == pat(j?hn*)' '{"data":[{"name":"john"}],"ok":true}' >"$seeds/condition/json-path"
printf '%s\n%s' 'len([BODY].items) > 2' '{"items":[1,2.5,"3",null]}' >"$seeds/condition/len"
printf '%s\n%s' 'has([BODY].errors) == false' '{"ok":true}' >"$seeds/condition/has"
printf '%s\n%s' '[BODY] != pat(*Fatal error*)' '<html><b>Fatal error</b>: x</html>' >"$seeds/condition/wordpress"
printf '%s\n%s' '[BODY].a >= [BODY].b' '{"a":99999999999999999999,"b":-1.5e3}' >"$seeds/condition/numbers"

# ---- seeds: small hand-made JSON
printf '{"nodes":[]}\n' >"$seeds/tree/empty"
printf '[{"id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21","blobs":[{"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":44}]}]' >"$seeds/index/legacy-array"

# ---- seeds: files restic 0.14 wrote (decrypted)
cat > "$seeds/tree/restic-v2-dir" <<'WPH_SEED'
{"nodes":[{"name":"a.txt","type":"file","mode":8389101,"mtime":"2023-01-02T04:04:05.123456789+01:00","atime":"2023-01-02T04:04:05.123456789+01:00","ctime":"2026-11-23T05:25:58.516847787+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961630,"device_id":65024,"size":12,"links":1,"content":["a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"]},{"name":"bad\\xffname","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.515942552+01:00","atime":"2026-11-23T05:25:58.515942552+01:00","ctime":"2026-11-23T05:25:58.515942552+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961637,"device_id":65024,"size":1,"links":1,"content":["594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06"]},{"name":"empty","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.511665906+01:00","atime":"2026-11-23T05:25:58.511665906+01:00","ctime":"2026-11-23T05:25:58.511665906+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961631,"device_id":65024,"links":1,"content":[]},{"name":"emptydir","type":"dir","mode":2147484141,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961633,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},{"name":"fifo","type":"fifo","mode":33554852,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961635,"device_id":65024,"content":null},{"name":"link","type":"symlink","mode":134218239,"mtime":"2023-01-02T04:04:05+01:00","atime":"2023-01-02T04:04:05+01:00","ctime":"2026-11-23T05:25:58.516847787+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961632,"device_id":65024,"links":1,"linktarget":"a.txt","content":null},{"name":"sub","type":"dir","mode":2147484141,"mtime":"2026-11-23T05:25:58.513124778+01:00","atime":"2026-11-23T05:25:58.513124778+01:00","ctime":"2026-11-23T05:25:58.513124778+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961629,"device_id":65024,"content":null,"subtree":"953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb"},{"name":"we\\\"ird\\\\na\\tme\u003c\u0026\u003eé","type":"file","mode":420,"mtime":"2026-11-23T05:25:58.515942552+01:00","atime":"2026-11-23T05:25:58.515942552+01:00","ctime":"2026-11-23T05:25:58.515942552+01:00","uid":0,"gid":0,"user":"root","group":"root","inode":10961636,"device_id":65024,"size":1,"links":1,"content":["a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa"]}]}
WPH_SEED
cat > "$seeds/tree/restic-odd-names" <<'WPH_SEED'
{"nodes":[{"name":"back\\\\slash","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266407341-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993989,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"bad\\xffname","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266699286-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993998,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"bell\\a","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266558967-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993992,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"big","type":"file","mode":420,"mtime":"2026-11-23T00:58:05.272851949-03:30","atime":"2026-11-23T00:58:05.272851949-03:30","ctime":"2026-11-23T00:58:05.272851949-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994005,"device_id":65024,"size":3000000,"links":1,"content":["383a0d6a0d0a3526cda821af2f532ed402a38dc39ba6eaf2610ea1a412b6f2c2","48f95ffd8343607a4a98f27781fecc47a36a23a659d011c47df65a106fe007a1"]},{"name":"big\\xf5x","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266814597-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994002,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"bs\\b","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266629542-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993995,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"c\\x01tl","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266176588-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993981,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"c1\\u0085","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266304879-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993985,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"cr\\r","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266652476-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993996,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"del\\x7f","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266223828-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993982,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"emoji😀","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266355444-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993987,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"esc\\x1b[","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266250408-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993983,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"ff\\f","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266605957-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993994,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"fffd�","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266332009-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993986,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"lone\\x80cont","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266722771-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993999,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"nl\\nx","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266275906-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993984,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"ns1","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.00000001-03:30","atime":"2023-11-14T18:43:20.00000001-03:30","ctime":"2026-11-23T00:58:05.266877571-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994004,"device_id":65024,"size":1,"links":1,"content":["1b16b1df538ba12dc3f97edbb85caa7050d46c148134290feba80f8236c83db9"]},{"name":"old","type":"file","mode":420,"mtime":"1960-06-29T16:09:59.5-02:30","atime":"1960-06-29T16:09:59.5-02:30","ctime":"2026-11-23T00:58:05.26684973-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994003,"device_id":65024,"size":3,"links":1,"content":["cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4"]},{"name":"over\\xc0\\xafl","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266759806-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994000,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"single'quote","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266431167-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993990,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"sp ace","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266814597-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993991,"device_id":65024,"size":1,"links":2,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"sp ace2","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266814597-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993991,"device_id":65024,"size":1,"links":2,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"surr\\xed\\xa0\\x80","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266787327-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994001,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"trunc\\xe2\\x82","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266382184-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993988,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"vt\\v","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266582292-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993993,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"we\\\"ird\\\\na\\tme\u003c\u0026\u003eé","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.266675691-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993997,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"zblk","type":"dev","mode":67109284,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994008,"device_id":65024,"links":1,"device":1792,"content":null},{"name":"zchr","type":"chardev","mode":69206400,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994009,"device_id":65024,"links":1,"device":34819,"content":null},{"name":"zfifo","type":"fifo","mode":33554816,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994010,"device_id":65024,"content":null},{"name":"zlink","type":"symlink","mode":134218239,"mtime":"2026-11-23T00:58:05.284851949-03:30","atime":"2026-11-23T00:58:05.284851949-03:30","ctime":"2026-11-23T00:58:05.284851949-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994006,"device_id":65024,"links":1,"linktarget":"tgt\u003c\u0026\u003e\u2028é\"\\","content":null},{"name":"zsgid","type":"dir","mode":2151678440,"mtime":"2026-11-23T00:58:05.28858488-03:30","atime":"2026-11-23T00:58:05.28858488-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994012,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},{"name":"zsticky","type":"dir","mode":2148532735,"mtime":"2026-11-23T00:58:05.28858488-03:30","atime":"2026-11-23T00:58:05.28858488-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994013,"device_id":65024,"content":null,"subtree":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8"},{"name":"zsuid","type":"file","mode":12583369,"mtime":"2026-11-23T00:58:05.288675255-03:30","atime":"2026-11-23T00:58:05.288675255-03:30","ctime":"2026-11-23T00:58:05.288675255-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994014,"device_id":65024,"size":1,"links":1,"content":["043a718774c572bd8a25adbeb1bfcd5c0256ae11cecf9f9c3f925d0e52beaf89"]},{"name":"zuid","type":"file","mode":420,"mtime":"2026-11-23T00:58:05.28850404-03:30","atime":"2026-11-23T00:58:05.28850404-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":4321,"gid":4322,"inode":10994011,"device_id":65024,"links":1,"content":[]},{"name":"zx","type":"file","mode":420,"mtime":"2026-11-23T00:58:05.284851949-03:30","atime":"2026-11-23T00:58:05.284851949-03:30","ctime":"2026-11-23T00:58:05.28850404-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10994007,"device_id":65024,"links":1,"extended_attributes":[{"name":"user.foo","value":"YmFyAP8="},{"name":"user.a\u003cb","value":""}],"content":[]}]}
WPH_SEED
cat > "$seeds/tree/restic-nonprintable" <<'WPH_SEED'
{"nodes":[{"name":"bom\\ufeff","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994023,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"ideo\\u3000","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994022,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"ls\\u2028","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994017,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"maxrune\\U0010ffff","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994021,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"nbsp\\u00a0","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994015,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"ps\\u2029","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994018,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"pua\\ue000","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994019,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"shy\\u00ad","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994016,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"unassigned\\u0378","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994020,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]},{"name":"zwj\\u200d","type":"file","mode":420,"mtime":"2023-11-14T18:43:20.1-03:30","atime":"2023-11-14T18:43:20.1-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10994024,"device_id":65024,"size":1,"links":1,"content":["8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"]}]}
WPH_SEED
cat > "$seeds/tree/restic-root" <<'WPH_SEED'
{"nodes":[{"name":"np","type":"dir","mode":2147484141,"mtime":"2026-11-23T00:58:05.288979097-03:30","atime":"2026-11-23T00:58:05.288979097-03:30","ctime":"2026-11-23T00:58:05.29685195-03:30","uid":4321,"gid":4322,"inode":10993974,"device_id":65024,"content":null,"subtree":"a6338c644f61feb67f911ebf5cd72a7f32d209735ea823aa32e4e301c850187d"},{"name":"ok","type":"dir","mode":2147484141,"mtime":"2026-11-23T00:58:05.28858488-03:30","atime":"2026-11-23T00:58:05.28858488-03:30","ctime":"2026-11-23T00:58:05.28858488-03:30","uid":0,"gid":0,"user":"root","group":"root","inode":10993973,"device_id":65024,"content":null,"subtree":"c8ba76ed51b531e260b130783c35df16e10dc693a865ed8535166abe60ebcf42"}]}
WPH_SEED
cat > "$seeds/snapshot/restic-v2" <<'WPH_SEED'
{"time":"2026-11-23T05:26:02.576966453+01:00","tree":"e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac","paths":["/tmp/fx/src"],"hostname":"h1","username":"root","tags":["t1"]}
WPH_SEED
cat > "$seeds/snapshot/restic-original" <<'WPH_SEED'
{"time":"2026-11-23T09:58:20.147132701+05:30","parent":"a782752346b2f6e5c82b06feaca5ea372b9200bc644129ad3a7ac876ca2e1d31","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"host\u003c\u0026\u003e","excludes":["*.tmp","a\u003cb\u0026c"],"tags":["a","b","c\"d","x"],"original":"664d2239bab3d6a63611ff44df08606221324f853c0bc684ec9a5844030c91fe"}
WPH_SEED
cat > "$seeds/snapshot/restic-uid" <<'WPH_SEED'
{"time":"2026-11-23T09:58:39.767397056+05:30","parent":"042e48e4d1c4e9a4e50bc014106ef71e0661c16b61d4100522e96ad763ad24e3","tree":"6d4ca3ebc271929ffa868cb47c775ac4c9662c9c29df77a808f162b65beee508","paths":["/tmp/fx/r4src/np"],"hostname":"vm","username":"daemon","uid":1,"gid":1,"excludes":["*.tmp"]}
WPH_SEED
cat > "$seeds/index/restic-v1" <<'WPH_SEED'
{"supersedes":["ff662ad934df23d32db208281b4a6764fdf932616e7114ebc8892608df92b7b6","f327e9345055f6ff18d514211c8082b64e682dca7274a993cc1381bb4c987c98"],"packs":[{"id":"c72e614d51239d18a19a2c9d5879b97c31a86e9258124d7b540ec2b614c61b21","blobs":[{"id":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","type":"data","offset":110,"length":33},{"id":"a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa","type":"data","offset":77,"length":33},{"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":44},{"id":"594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06","type":"data","offset":44,"length":33}]},{"id":"247496981ac0df8a764e8ca4aaf2c36606bcff4f771afb3bbbb567c67c868296","blobs":[{"id":"98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4","type":"data","offset":0,"length":35}]},{"id":"727304ee34c296c87eb86c7a161cfd292eed2849a2337b552579e0858a3fa79e","blobs":[{"id":"df84b95f68bb074b2c3440d1d46ecb19d5e2ca7bd396d8d8e4fb2a18681b0bc9","type":"tree","offset":3815,"length":383},{"id":"160f1f3d521d131d37da0e73966d39df0fe440b868a025ecfbc01e1fa43ad09a","type":"tree","offset":45,"length":383},{"id":"059e2137d4a92bc5eafa54c6581a3b44f69b1c0a2fc629140e65e7ceeefe2211","type":"tree","offset":3046,"length":385},{"id":"be6e20d85feefeaeb701d1d9ac196c8cfad7e0a3495c13eec699bc0b4683049a","type":"tree","offset":3431,"length":384},{"id":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8","type":"tree","offset":0,"length":45},{"id":"dfd2b1170556083b54f426bb69a7f51f39c9995041e1d8e2665437c5782d86a9","type":"tree","offset":428,"length":2618}]},{"id":"e1ce2ffb14966c9c83379a73f65c6b792607f0508e61faa0e31f3a177574338b","blobs":[{"id":"f72af544188707ccec803f8c827146361a2767312b3e3f8b029a24e1b563c7b9","type":"tree","offset":0,"length":313}]}]}
WPH_SEED
cat > "$seeds/index/restic-v2" <<'WPH_SEED'
{"packs":[{"id":"6cfe12c5e9cd21667983b475f850f7ceaccad50a38945fe8cc3b5a96db8e3432","blobs":[{"id":"594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06","type":"data","offset":53,"length":42,"uncompressed_length":1},{"id":"a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa","type":"data","offset":137,"length":42,"uncompressed_length":1},{"id":"a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447","type":"data","offset":0,"length":53,"uncompressed_length":12},{"id":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","type":"data","offset":95,"length":42,"uncompressed_length":1}]},{"id":"b36b510d140e04d1b8639f5cea0dc787b8573884bbe5c4834a2d7758b878c8c8","blobs":[{"id":"953d7f8759fea9a3117693e0d575a5efa9bf578828d0cb5c676f863d9393c6bb","type":"tree","offset":54,"length":252,"uncompressed_length":366},{"id":"e86a944366f08706fc085805236b4192ffbba6b4cd0850f3e146a5060fee78ac","type":"tree","offset":1529,"length":251,"uncompressed_length":366},{"id":"6da95ef55dc77b0b9e3507d5780217b2f8471369c5a8dbcc89e66e944bb7da2a","type":"tree","offset":1277,"length":252,"uncompressed_length":367},{"id":"02b3fe21587ae72acc852a493849b6df7a6ee66b8dd98277c71d7eff3ebde43d","type":"tree","offset":306,"length":719,"uncompressed_length":2706},{"id":"b2457d0f4de12054d4c48339112d1b9775cb130cbc037a3837198ba770ce7d23","type":"tree","offset":1025,"length":252,"uncompressed_length":368},{"id":"ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8","type":"tree","offset":0,"length":54,"uncompressed_length":13}]}]}
WPH_SEED
cat > "$seeds/key/restic-keyfile" <<'WPH_SEED'
{"created":"2026-11-23T04:26:02.204008332Z","username":"root","hostname":"vm","kdf":"scrypt","N":32768,"r":8,"p":4,"salt":"5mIRIrLbfq4TqIWXRE6dLdfCWMbjTj/pRPRWXljsPSbsySnonpKKU/3tR/krrmAONsKzMugAcIzTjqmEvcqv+w==","data":"h5uA782B1FqnMxW3A5MKa/gcnBn8xVPcu3jA4eJqzSTTly9wYwx7usUJezGYgNAbqrERlukGOGrxilFDqGodw02gW2AxIdjS4PhQPXlJzsw7w0BTsGl/RI+GlNg7prnoFKBp+jcTNTBujlu2yk8BDKF9c6/9ZelFKjRMtlBPSNXVc0UQSaEwQxmkadzHVFFgNjp4bb6rVliF7C4Pf1Jycg=="}
WPH_SEED
cat > "$seeds/key/restic-masterkey" <<'WPH_SEED'
{"mac":{"k":"oAuclspYwY8AX3xazRkXwg==","r":"N2QGDUwTPw3Ag3QNrIFDBQ=="},"encrypt":"XhnQHEEajeReiUwRoQeISGBWD6Z0yjp6k7W43B0j27M="}
WPH_SEED
cat > "$seeds/snapshot/restic-lock" <<'WPH_SEED'
{"time":"2026-11-23T00:58:51.252002642-03:30","exclusive":true,"hostname":"vm","username":"root","pid":3423}
WPH_SEED
cat > "$seeds/key/restic-config" <<'WPH_SEED'
{"version":2,"id":"8b488dbebdee641be002aa5c839f9c336fd9db55e67689c47af383bd11d719c7","chunker_polynomial":"2fd3d4f285a625"}
WPH_SEED

# ---- a dictionary of the JSON keys and values the formats use
dict=$build/json.dict
{
  for w in nodes name type mode mtime atime ctime uid gid user group inode device_id size links linktarget \
    extended_attributes value device content subtree error file dir symlink dev chardev fifo socket \
    time parent tree paths hostname username excludes tags original supersedes packs blobs id offset length \
    uncompressed_length data created kdf scrypt N r p salt mac k encrypt exclusive pid version chunker_polynomial; do
    printf '"\\"%s\\""\n' "$w"
  done
  printf '"%s"\n' ':' ',' '[' ']' '{' '}' 'null' 'true' 'false' '\\' '\\u00' '\\x' '\\\\' 'T00:00:00' '.123456789' \
    '+01:00' '-03:30' 'Z' '2026-11-23T04:26:03' 'ac08ce34ba4f8123618661bef2425f7028ffb9ac740578a3ee88684d2523fee8'
} >"$dict"

# ---- a dictionary of the condition language
cond_dict=$build/condition.dict
{
  for w in '[STATUS]' '[RESPONSE_TIME]' '[BODY]' '[CONNECTED]' '[CERTIFICATE_EXPIRATION]' '[DNS_RCODE]' '[IP]' \
    '[DOMAIN_EXPIRATION]' 'len(' 'has(' 'pat(' 'any(' ' == ' ' != ' ' < ' ' <= ' ' > ' ' >= ' '.' '[0]' ')' \
    '*' '?' ', ' 'true' 'false' 'null' '72h' '7d' '48h30m' '500ms' 'NOERROR' 'NXDOMAIN' '1e999' '-0.5' \
    '99999999999999999999' '{"a":' '[1,2]' '"x"' '\x0a'; do
    printf '"%s"\n' "${w//\"/\\\"}"
  done
} >"$cond_dict"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  case $t in
  pack_header | unquote) extra=(-max_len=4096) ;;
  condition) extra=(-max_len=4096 -dict="$cond_dict") ;;
  *) extra=(-max_len=16384 -dict="$dict") ;;
  esac
  log=$build/logs/$t.log
  echo "== fuzz_$t: ${secs}s"
  if "$build/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${extra[@]}" -artifact_prefix="$build/artifacts/$t-" "$build/corpus/$t" "$seeds/$t" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ *DONE' "$log" | sed 's/^/   /' || true
    echo "   corpus: $(find "$build/corpus/$t" -type f | wc -l) inputs"
  else
    status=1
    echo "   FAILED, see $log; artifacts:"
    ls -1 "$build/artifacts/$t-"* 2>/dev/null | sed 's/^/   /' || true
    grep -E 'ERROR|property violated|threw|SUMMARY' "$log" | head -5 | sed 's/^/   /' || true
  fi
done
exit $status
