#include "repo/repository.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <pwd.h>
#include <signal.h>
#include <thread>
#include <unistd.h>
#include <zstd.h>
#include <openssl/crypto.h>

#include "engine/error.hpp"
#include "repo/buffer.hpp"

namespace wph::repo {

namespace {

std::string hostname() {
    char h[256] = {0};
    ::gethostname(h, sizeof h - 1);
    return h;
}

std::string username() {
    struct passwd pw{}, *res = nullptr;
    char buf[4096];
    if (getpwuid_r(::getuid(), &pw, buf, sizeof buf, &res) == 0 && res) return res->pw_name;
    return "";
}

[[noreturn]] void corrupt(const std::string &what) { raise(WPH_EIO, "repo", what); }

std::string zstd_compress(std::string_view in, int level) {
    std::string out(ZSTD_compressBound(in.size()), '\0');
    // No checksum and no frame content size: like restic's encoder; both are optional in the format.
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
    std::size_t n = ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size());
    ZSTD_freeCCtx(c);
    if (ZSTD_isError(n)) raise(WPH_ERROR, "repo", std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
}

// Decompress one frame, refusing output beyond `limit` bytes.
std::optional<std::string> zstd_decompress(std::string_view in, std::size_t hint, std::size_t limit) {
    ZSTD_DCtx *d = ZSTD_createDCtx();
    std::string out;
    out.resize(std::max<std::size_t>(hint, 4096));
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    std::size_t pos = 0;
    bool ok = false;
    for (;;) {
        ZSTD_outBuffer ob{out.data() + pos, out.size() - pos, 0};
        std::size_t r = ZSTD_decompressStream(d, &ob, &ib);
        pos += ob.pos;
        if (ZSTD_isError(r)) break;
        if (r == 0) { ok = ib.pos == ib.size; break; }
        if (pos == out.size()) {
            if (out.size() >= limit) break;
            out.resize(std::min(limit, out.size() * 2));
        } else if (ib.pos == ib.size && ob.pos == 0) {
            break;  // truncated frame
        }
    }
    ZSTD_freeDCtx(d);
    if (!ok) return std::nullopt;
    out.resize(pos);
    return out;
}

int zstd_level(Compression c) { return c == Compression::max ? 11 : 3; }

// Compress into the calling thread's scratch buffer, with its reused context
// (a new context per blob allocates and faults in its tables every time).
std::string_view zstd_compress_scratch(std::string_view in, int level) {
    struct Ctx {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ~Ctx() { ZSTD_freeCCtx(c); }
    };
    static thread_local Ctx ctx;
    static thread_local Buffer scratch;
    if (!ctx.c) raise(WPH_ENOMEM, "repo", "zstd: cannot create a compression context");
    const std::size_t bound = ZSTD_compressBound(in.size());
    if (scratch.capacity() < bound) scratch = Buffer(bound);
    ZSTD_CCtx_setParameter(ctx.c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(ctx.c, ZSTD_c_checksumFlag, 0);
    std::size_t n = ZSTD_compress2(ctx.c, scratch.data(), bound, in.data(), in.size());
    if (ZSTD_isError(n)) raise(WPH_ERROR, "repo", std::string("zstd: ") + ZSTD_getErrorName(n));
    return {scratch.data(), n};
}

void le32(std::string &out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

constexpr std::size_t kMaxUnpacked = 256u << 20;

}  // namespace

// A pack being filled with blobs of one type, written into the backend's
// pending file as it grows and hashed on the way (its name is its SHA-256).
struct Repository::Packer {
    BlobType type = BlobType::data;
    std::unique_ptr<PendingFile> file;
    Sha256 hash;
    std::uint64_t size = 0;
    std::vector<PackEntry> entries;

    // Pieces small enough to stay in the CPU cache between encrypting and hashing.
    static constexpr std::size_t kPiece = 128 * 1024;

    void put(const void *data, std::size_t n) {
        auto *p = static_cast<const char *>(data);
        while (n > 0) {
            auto s = file->space();
            std::size_t k = std::min(n, s.size());
            std::memcpy(s.data(), p, k);
            wrote(s.data(), k);
            p += k;
            n -= k;
        }
    }
    void put_encrypted(StreamCipher &c, const std::uint8_t *p, std::size_t n) {
        while (n > 0) {
            auto s = file->space();
            std::size_t k = std::min({n, s.size(), kPiece});
            c.encrypt(p, reinterpret_cast<std::uint8_t *>(s.data()), k);
            wrote(s.data(), k);
            p += k;
            n -= k;
        }
    }

private:
    void wrote(const char *p, std::size_t k) {
        hash.update(p, k);
        file->produced(k);
        size += k;
    }
};

Repository::Repository(std::unique_ptr<Backend> be) : be_(std::move(be)) {}
Repository::~Repository() {
    try {
        unlock();
    } catch (...) {
    }
    // Packs still being stored call back into this object.
    std::unique_lock<std::mutex> l(mu_);
    committed_.wait(l, [&] { return committing_ == 0; });
}

std::unique_ptr<Repository> Repository::init(std::unique_ptr<Backend> be, const std::string &password,
                                             const InitOptions &opts) {
    if (opts.version < 1 || opts.version > 2)
        raise(WPH_EINVALID, "repo", "repository version must be 1 or 2, got " + std::to_string(opts.version));
    if (password.empty()) raise(WPH_EINVALID, "repo", "an empty password is not allowed");
    Pol pol = opts.polynomial ? *opts.polynomial : random_polynomial();
    if (pol_degree(pol) != 53 || !pol_irreducible(pol)) raise(WPH_EINVALID, "repo", "chunker polynomial is not an irreducible polynomial of degree 53");
    std::unique_ptr<Repository> r(new Repository(std::move(be)));
    r->be_->create();
    r->key_ = random_master_key();
    Id rid{};
    random_bytes(rid.data(), rid.size());
    r->config_ = Config{opts.version, to_hex(rid), pol};
    r->key_id_ = r->add_key(password, opts.kdf);
    r->be_->save(FileType::config, "config", seal(r->key_, encode_config(r->config_)));
    return r;
}

std::unique_ptr<Repository> Repository::open(std::unique_ptr<Backend> be, const std::string &password) {
    std::unique_ptr<Repository> r(new Repository(std::move(be)));
    if (!r->be_->exists(FileType::config, "config"))
        raise(WPH_ENOTFOUND, "repo", "no repository at " + r->be_->location() + " (config file missing)");
    auto names = r->list(FileType::key);
    if (names.empty()) raise(WPH_EIO, "repo", "repository at " + r->be_->location() + " has no key files");
    bool found = false;
    int tried = 0;
    std::vector<std::string> damaged;  // reported only if no key opens
    for (auto &name : names) {
        if (++tried > 20) break;  // restic's limit
        auto raw = r->be_->load(FileType::key, name);
        if (to_hex(sha256(raw)) != name) {
            damaged.push_back("key file " + name + " does not match its name (damaged)");
            continue;
        }
        KeyFile kf;
        try {
            kf = decode_key_file(raw);
        } catch (const Error &e) {
            damaged.push_back("key file " + name + ": " + e.message());
            continue;
        }
        auto user = derive_user_key(password, kf.salt, kf.N, kf.r, kf.p);
        auto plain = repo::open(user, kf.data);
        if (!plain) continue;  // another password's key
        try {
            r->key_ = decode_master_key(*plain);
        } catch (const Error &e) {
            damaged.push_back("key file " + name + ": " + e.message());
            continue;
        }
        r->key_id_ = name;
        found = true;
        break;
    }
    if (!found && !damaged.empty())
        corrupt("no key of " + r->be_->location() + " opens with this password, and " + damaged.front() +
                (damaged.size() > 1 ? " (and " + std::to_string(damaged.size() - 1) + " more)" : ""));
    if (!found) raise(WPH_EAUTH, "repo", "wrong password: no key of " + r->be_->location() + " opens with it");
    auto sealed = r->be_->load(FileType::config, "config");
    auto plain = repo::open(r->key_, sealed);
    if (!plain) corrupt("config of " + r->be_->location() + " fails its MAC (damaged, or of another repository)");
    try {
        r->config_ = decode_config(*plain);
    } catch (const Error &e) {
        corrupt("config: " + e.message());
    }
    if (pol_degree(r->config_.chunker_polynomial) != 53 || !pol_irreducible(r->config_.chunker_polynomial))
        corrupt("config: the chunker polynomial is not irreducible of degree 53");
    r->load_index();
    return r;
}

// ---------------------------------------------------------------- unpacked files

std::string Repository::decode_unpacked(const std::string &plain, const std::string &what) {
    if (config_.version < 2 || plain.empty() || plain[0] == '{' || plain[0] == '[') return plain;
    if (plain[0] != 2) corrupt(what + ": unsupported encoding format " + std::to_string(static_cast<unsigned char>(plain[0])));
    auto out = zstd_decompress(std::string_view(plain).substr(1), plain.size() * 4, kMaxUnpacked);
    if (!out) corrupt(what + ": damaged compressed data");
    return *out;
}

std::string Repository::load_unpacked(FileType t, const std::string &name) {
    std::string what = std::string(file_type_dir(t)) + "/" + name;
    auto raw = be_->load(t, name);
    if (t != FileType::config && to_hex(sha256(raw)) != name) corrupt(what + " does not match its name (damaged)");
    auto plain = repo::open(key_, raw);
    if (!plain) corrupt(what + " fails its MAC (damaged)");
    if (t == FileType::config) return *plain;
    return decode_unpacked(*plain, what);
}

Id Repository::save_unpacked(FileType t, std::string_view plaintext) {
    std::string sealed;
    if (config_.version >= 2) {
        std::string body(1, '\x02');
        body += zstd_compress(plaintext, zstd_level(compression_));
        sealed = seal(key_, body);
    } else {
        sealed = seal(key_, plaintext);
    }
    Id id = sha256(sealed);
    be_->save(t, to_hex(id), sealed);
    return id;
}

std::vector<std::string> Repository::list(FileType t) {
    std::vector<std::string> out;
    be_->list(t, [&](const std::string &n, std::uint64_t) { out.push_back(n); });
    std::sort(out.begin(), out.end());
    return out;
}

std::string Repository::resolve(FileType t, const std::string &prefix) {
    std::string found;
    for (auto &n : list(t)) {
        if (n.compare(0, prefix.size(), prefix) != 0) continue;
        if (!found.empty()) raise(WPH_EINVALID, "repo", "ID prefix \"" + prefix + "\" is ambiguous");
        found = n;
    }
    if (found.empty() || prefix.empty())
        raise(WPH_ENOTFOUND, "repo", std::string("no ") + (t == FileType::snapshot ? "snapshot" : "file") + " matches \"" + prefix + "\"");
    return found;
}

// ---------------------------------------------------------------- index

void Repository::load_index() {
    std::unordered_map<Id, BlobLocation, IdHash> data, tree;
    std::vector<std::string> files, errors;
    for (auto &name : list(FileType::index)) {
        IndexFile idx;
        try {
            idx = decode_index(load_unpacked(FileType::index, name), config_.version);
        } catch (const Error &e) {
            // A damaged index file must not lock the user out: what it
            // described is treated as missing, check reports it, and prune
            // refuses to run until it is repaired.
            if (e.code() != WPH_EINVALID && e.code() != WPH_EIO) throw;
            errors.push_back(e.code() == WPH_EINVALID ? "index/" + name + ": " + e.message() : e.message());
            continue;
        }
        for (auto &p : idx.packs)
            for (auto &b : p.blobs) (b.type == BlobType::tree ? tree : data).emplace(b.id, BlobLocation{p.id, b});
        files.push_back(name);
    }
    std::lock_guard<std::mutex> l(mu_);
    data_ = std::move(data);
    tree_ = std::move(tree);
    index_files_ = std::move(files);
    index_errors_ = std::move(errors);
}

std::vector<std::string> Repository::index_errors() const {
    std::lock_guard<std::mutex> l(mu_);
    return index_errors_;
}

std::optional<BlobLocation> Repository::lookup(BlobType t, const Id &id) const {
    std::lock_guard<std::mutex> l(mu_);
    auto &m = t == BlobType::tree ? tree_ : data_;
    auto it = m.find(id);
    if (it == m.end()) return std::nullopt;
    return it->second;
}

std::size_t Repository::blob_count() const {
    std::lock_guard<std::mutex> l(mu_);
    return data_.size() + tree_.size();
}

std::vector<IndexPack> Repository::index_packs() const {
    std::lock_guard<std::mutex> l(mu_);
    std::unordered_map<Id, IndexPack, IdHash> packs;
    for (auto *m : {&data_, &tree_})
        for (auto &[id, loc] : *m) {
            auto &p = packs[loc.pack];
            p.id = loc.pack;
            p.blobs.push_back(loc.entry);
        }
    std::vector<IndexPack> out;
    for (auto &[id, p] : packs) {
        std::sort(p.blobs.begin(), p.blobs.end(), [](const PackEntry &a, const PackEntry &b) { return a.offset < b.offset; });
        out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const IndexPack &a, const IndexPack &b) { return a.id < b.id; });
    return out;
}

std::string Repository::open_blob(const PackEntry &e, std::string_view stored, const std::string &where) {
    std::string what = std::string(blob_type_name(e.type)) + " blob " + to_hex(e.id) + " in " + where;
    auto plain = repo::open(key_, stored);
    if (!plain) corrupt(what + " fails its MAC (damaged)");
    if (e.uncompressed_length) {
        auto out = zstd_decompress(*plain, e.uncompressed_length, e.uncompressed_length);
        if (!out) corrupt(what + " has damaged compressed data");
        plain = std::move(out);
    }
    if (sha256(*plain) != e.id) corrupt(what + " does not match its ID (damaged)");
    return std::move(*plain);
}

BlobScratch::~BlobScratch() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx *>(dctx)); }

std::string_view Repository::open_blob_in(const PackEntry &e, char *stored, BlobScratch &s, const std::string &where) {
    auto what = [&] { return std::string(blob_type_name(e.type)) + " blob " + to_hex(e.id) + " in " + where; };
    if (e.length < kCryptoOverhead) corrupt(what() + " is too short to be encrypted (damaged index)");
    auto *iv = reinterpret_cast<std::uint8_t *>(stored);
    auto *ct = iv + 16;
    const std::size_t n = e.length - kCryptoOverhead;
    bool zero_iv = std::all_of(iv, iv + 16, [](std::uint8_t b) { return b == 0; });
    auto &c = thread_cipher();
    std::uint8_t tag[16];
    if (!zero_iv) {
        c.begin(key_, iv);
        c.authenticate(ct, n);
        c.tag(tag);
    }
    if (zero_iv || CRYPTO_memcmp(tag, ct + n, 16) != 0) corrupt(what() + " fails its MAC (damaged)");
    c.decrypt(ct, ct, n);
    std::string_view plain(reinterpret_cast<char *>(ct), n);
    if (e.uncompressed_length) {
        if (!s.dctx && !(s.dctx = ZSTD_createDCtx())) raise(WPH_ENOMEM, "repo", "zstd: cannot create a decompression context");
        if (s.plain.capacity() < e.uncompressed_length) s.plain = Buffer(e.uncompressed_length);
        std::size_t r = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx *>(s.dctx), s.plain.data(), e.uncompressed_length, plain.data(), plain.size());
        if (ZSTD_isError(r) || r != e.uncompressed_length) corrupt(what() + " has damaged compressed data");
        plain = std::string_view(s.plain.data(), r);
    }
    if (sha256(plain) != e.id) corrupt(what() + " does not match its ID (damaged)");
    return plain;
}

BlobLocation Repository::locate(BlobType t, const Id &id) const {
    auto loc = lookup(t, id);
    if (!loc) {
        auto errs = index_errors();
        corrupt(std::string(blob_type_name(t)) + " blob " + to_hex(id) + " is not in the index" +
                (errs.empty() ? std::string() : " (the index is damaged: " + errs.front() + ")"));
    }
    return *loc;
}

std::string_view Repository::load_blob_in(BlobType t, const Id &id, BlobScratch &s) {
    auto loc = locate(t, id);
    auto pack = to_hex(loc.pack);
    if (loc.entry.length < kCryptoOverhead)
        corrupt(std::string(blob_type_name(t)) + " blob " + to_hex(id) + " has a stored length of " +
                std::to_string(loc.entry.length) + " bytes in the index of pack " + pack + " (damaged index)");
    char *stored = be_->load_into(FileType::pack, pack, loc.entry.offset, loc.entry.length, s.raw);
    return open_blob_in(loc.entry, stored, s, "pack data/" + pack.substr(0, 2) + "/" + pack);
}

std::vector<PackEntry> Repository::open_pack_header(std::string_view sealed) {
    auto plain = repo::open(key_, sealed);
    if (!plain) corrupt("pack header fails its MAC (damaged)");
    try {
        return decode_pack_header(*plain, config_.version);
    } catch (const Error &e) {
        corrupt(e.message());
    }
}

std::string Repository::load_blob(BlobType t, const Id &id) {
    auto loc = locate(t, id);
    auto pack = to_hex(loc.pack);
    auto raw = be_->load(FileType::pack, pack, loc.entry.offset, loc.entry.length);
    return open_blob(loc.entry, raw, "pack data/" + pack.substr(0, 2) + "/" + pack);
}

std::uint64_t Repository::save_blob(BlobType t, std::string_view plaintext, const Id &id) {
    {
        std::lock_guard<std::mutex> l(mu_);
        if (write_error_) std::rethrow_exception(write_error_);
        auto &m = t == BlobType::tree ? tree_ : data_;
        auto &pending = t == BlobType::tree ? pending_tree_ : pending_data_;
        if (m.count(id) || !pending.insert(id).second) return 0;
    }
    return store_blob(t, plaintext, id);
}

void Repository::repack_blob(BlobType t, std::string_view plaintext, const Id &id) { store_blob(t, plaintext, id); }

std::unique_ptr<Repository::Packer> Repository::take_packer(BlobType t) {
    {
        std::lock_guard<std::mutex> l(mu_);
        auto &idle = idle_[static_cast<int>(t)];
        if (!idle.empty()) {
            auto p = std::move(idle.back());
            idle.pop_back();
            return p;
        }
    }
    auto p = std::make_unique<Packer>();
    p->type = t;
    p->file = be_->create_pending(FileType::pack);
    return p;
}

// Compress (v2) and seal the blob straight into the pack: IV, ciphertext,
// MAC. The CPU work runs on the calling thread, outside the lock.
void Repository::append_blob(Packer &p, BlobType t, std::string_view plaintext, const Id &id) {
    PackEntry e;
    e.type = t;
    e.id = id;
    e.offset = static_cast<std::uint32_t>(p.size);
    std::string_view body = plaintext;
    e.uncompressed_length = 0;
    if (config_.version >= 2 && !plaintext.empty() && (t == BlobType::tree || compression_ != Compression::off)) {
        body = zstd_compress_scratch(plaintext, zstd_level(compression_));
        e.uncompressed_length = static_cast<std::uint32_t>(plaintext.size());
    }
    std::uint8_t iv[16], tag[16];
    random_iv(iv);
    auto &c = thread_cipher();
    c.begin(key_, iv);
    p.put(iv, sizeof iv);
    p.put_encrypted(c, reinterpret_cast<const std::uint8_t *>(body.data()), body.size());
    c.tag(tag);
    p.put(tag, sizeof tag);
    e.length = static_cast<std::uint32_t>(p.size - e.offset);
    p.entries.push_back(e);
}

std::uint64_t Repository::store_blob(BlobType t, std::string_view plaintext, const Id &id) {
    auto p = take_packer(t);
    const std::uint64_t before = p->size;
    try {
        append_blob(*p, t, plaintext, id);
    } catch (...) {
        drop_packer(std::move(p), &id);
        throw;
    }
    const std::uint64_t stored = p->size - before;
    if (p->size >= pack_size_ || p->entries.size() >= 300000) {
        finish_pack(std::move(p));
    } else {
        std::lock_guard<std::mutex> l(mu_);
        idle_[static_cast<int>(t)].push_back(std::move(p));
    }
    return stored;
}

// A pack that cannot be finished is discarded with what it held: its blobs
// are no longer pending, so a later save writes them again.
void Repository::drop_packer(std::unique_ptr<Packer> p, const Id *also) {
    std::lock_guard<std::mutex> l(mu_);
    auto &pending = p->type == BlobType::tree ? pending_tree_ : pending_data_;
    for (auto &e : p->entries) pending.erase(e.id);
    if (also) pending.erase(*also);
    p.reset();
}

std::vector<std::pair<std::string, IndexFile>> Repository::load_index_files() {
    std::vector<std::pair<std::string, IndexFile>> out;
    for (auto &name : list(FileType::index)) {
        try {
            out.emplace_back(name, decode_index(load_unpacked(FileType::index, name), config_.version));
        } catch (const Error &e) {
            if (e.code() == WPH_EINVALID) corrupt("index/" + name + ": " + e.message());
            throw;
        }
    }
    return out;
}

void Repository::finish_pack(std::unique_ptr<Packer> p) {
    try {
        std::string header = seal(key_, encode_pack_header(p->entries));
        std::string len;
        le32(len, static_cast<std::uint32_t>(header.size()));
        p->put(header.data(), header.size());
        p->put(len.data(), len.size());
    } catch (...) {
        drop_packer(std::move(p), nullptr);
        throw;
    }
    const Id id = p->hash.finish();
    const BlobType type = p->type;
    auto file = std::move(p->file);
    {
        std::lock_guard<std::mutex> l(mu_);
        ++committing_;
    }
    // The blobs become visible in the index only once the pack is stored.
    auto done = [this, id, type, entries = std::move(p->entries)](std::exception_ptr err) mutable {
        std::lock_guard<std::mutex> l(mu_);
        auto &m = type == BlobType::tree ? tree_ : data_;
        auto &pending = type == BlobType::tree ? pending_tree_ : pending_data_;
        for (auto &e : entries) {
            if (!err) m.emplace(e.id, BlobLocation{id, e});
            pending.erase(e.id);
        }
        if (err) {
            if (!write_error_) write_error_ = err;
        } else {
            unindexed_.push_back(IndexPack{id, std::move(entries)});
        }
        --committing_;
        committed_.notify_all();
    };
    try {
        file->commit(to_hex(id), done);
    } catch (...) {
        done(std::current_exception());
        throw;
    }
}

void Repository::wait_packs(bool rethrow) {
    std::unique_lock<std::mutex> l(mu_);
    committed_.wait(l, [&] { return committing_ == 0; });
    if (write_error_ && rethrow) {
        auto err = std::exchange(write_error_, nullptr);
        std::rethrow_exception(err);
    }
}

std::vector<IndexPack> Repository::finish_packs() {
    std::vector<std::unique_ptr<Packer>> open;
    {
        std::lock_guard<std::mutex> l(mu_);
        for (auto &idle : idle_) {
            for (auto &p : idle) open.push_back(std::move(p));
            idle.clear();
        }
    }
    std::exception_ptr first;
    for (auto &p : open) {
        if (p->entries.empty()) continue;
        try {
            finish_pack(std::move(p));
        } catch (...) {
            if (!first) first = std::current_exception();
        }
    }
    open.clear();
    wait_packs(!first);
    if (first) std::rethrow_exception(first);
    std::lock_guard<std::mutex> l(mu_);
    auto packs = std::move(unindexed_);
    unindexed_.clear();
    return packs;
}

void Repository::flush() {
    auto packs = finish_packs();
    if (!packs.empty()) write_index(std::move(packs), {});
}

void Repository::write_index(std::vector<IndexPack> packs, const std::vector<Id> &supersedes) {
    // restic splits index files at 150000 (v2) / 50000 (v1) blobs.
    const std::size_t limit = config_.version >= 2 ? 150000 : 50000;
    IndexFile idx;
    idx.supersedes = supersedes;
    std::size_t blobs = 0;
    auto emit = [&] {
        if (idx.packs.empty()) return;
        auto id = save_unpacked(FileType::index, encode_index(idx));
        std::lock_guard<std::mutex> l(mu_);
        index_files_.push_back(to_hex(id));
        idx.packs.clear();
        blobs = 0;
    };
    for (auto &p : packs) {
        blobs += p.blobs.size();
        idx.packs.push_back(std::move(p));
        if (blobs >= limit) emit();
    }
    emit();
}

// ---------------------------------------------------------------- snapshots

std::vector<std::pair<std::string, Snapshot>> Repository::snapshots() {
    std::vector<std::pair<std::string, Snapshot>> out;
    for (auto &name : list(FileType::snapshot)) {
        try {
            out.emplace_back(name, decode_snapshot(load_unpacked(FileType::snapshot, name)));
        } catch (const Error &e) {
            if (e.code() == WPH_EINVALID) corrupt("snapshots/" + name + ": " + e.message());
            throw;  // its message names the file already
        }
    }
    std::stable_sort(out.begin(), out.end(), [](auto &a, auto &b) { return a.second.time < b.second.time; });
    return out;
}

// ---------------------------------------------------------------- keys

std::string Repository::add_key(const std::string &password, const KdfParams &kdf) {
    if (password.empty()) raise(WPH_EINVALID, "repo", "an empty password is not allowed");
    KeyFile k;
    k.created = time_now();
    k.username = username();
    k.hostname = hostname();
    k.N = kdf.N;
    k.r = kdf.r;
    k.p = kdf.p;
    k.salt.resize(64);
    random_bytes(k.salt.data(), k.salt.size());
    auto user = derive_user_key(password, k.salt, k.N, k.r, k.p);
    k.data = seal(user, encode_master_key(key_));
    auto json = encode_key_file(k);
    auto id = to_hex(sha256(json));
    be_->save(FileType::key, id, json);
    return id;
}

std::vector<KeyInfo> Repository::keys() {
    std::vector<KeyInfo> out;
    for (auto &name : list(FileType::key)) {
        KeyInfo ki;
        ki.id = name;
        ki.current = name == key_id_;
        try {
            auto kf = decode_key_file(be_->load(FileType::key, name));
            ki.username = kf.username;
            ki.hostname = kf.hostname;
            ki.created = kf.created;
        } catch (const Error &e) {
            corrupt("keys/" + name + ": " + e.message());
        }
        out.push_back(std::move(ki));
    }
    return out;
}

std::string Repository::change_password(const std::string &password, const KdfParams &kdf) {
    auto fresh = add_key(password, kdf);  // the repository is never without a working key
    auto old = key_id_;
    key_id_ = fresh;
    be_->remove(FileType::key, old);
    return fresh;
}

void Repository::remove_key(const std::string &id) {
    auto full = resolve(FileType::key, id);
    if (full == key_id_) raise(WPH_ECONFLICT, "repo", "refusing to remove the key that opened the repository (" + full + ")");
    be_->remove(FileType::key, full);
}

// ---------------------------------------------------------------- locks

bool lock_is_stale(const Lock &l, const std::string &this_host) {
    auto now = time_now();
    if (now.sec - l.time.sec > 30 * 60) return true;
    if (l.hostname != this_host || l.pid <= 0) return false;
    return ::kill(static_cast<pid_t>(l.pid), 0) != 0 && errno == ESRCH;
}

namespace {
std::atomic<long long> g_refresh_ms{5 * 60 * 1000};
}

void set_lock_refresh_interval(std::chrono::milliseconds interval) { g_refresh_ms = interval.count(); }

void Repository::refresh_loop() {
    std::unique_lock<std::mutex> l(lock_mu_);
    for (;;) {
        if (lock_cv_.wait_for(l, std::chrono::milliseconds(g_refresh_ms.load()), [&] { return stop_refresh_; })) return;
        // New lock file first, then the old one goes: never a moment unlocked.
        try {
            Lock fresh = lock_;
            fresh.time = time_now();
            auto id = to_hex(save_unpacked(FileType::lock, encode_lock(fresh)));
            auto old = lock_id_;
            lock_id_ = id;
            lock_ = fresh;
            be_->remove(FileType::lock, old);
        } catch (...) {
            // Try again at the next interval; the old lock is still there.
        }
    }
}

void Repository::lock(bool exclusive) {
    const auto host = hostname();
    auto conflict = [&]() -> std::optional<std::string> {
        std::string mine;
        {
            std::lock_guard<std::mutex> l(lock_mu_);
            mine = lock_id_;
        }
        for (auto &name : list(FileType::lock)) {
            if (name == mine) continue;
            Lock other;
            try {
                other = decode_lock(load_unpacked(FileType::lock, name));
            } catch (const Error &) {
                continue;  // a lock that cannot be read is ignored, as restic does
            }
            if (!exclusive && !other.exclusive) continue;
            if (lock_is_stale(other, host)) continue;
            return std::string(other.exclusive ? "an exclusive" : "a") + " lock held by PID " + std::to_string(other.pid) +
                   " on " + other.hostname + " (user " + other.username + ") since " + format_time(other.time) +
                   " (locks/" + name + ")";
        }
        return std::nullopt;
    };
    if (auto c = conflict()) raise(WPH_ELOCKED, "repo", "repository " + be_->location() + " is locked: " + *c);
    Lock me;
    me.time = time_now();
    me.exclusive = exclusive;
    me.hostname = host;
    me.username = username();
    me.pid = ::getpid();
    me.uid = ::getuid();
    me.gid = ::getgid();
    {
        std::lock_guard<std::mutex> l(lock_mu_);
        lock_ = me;
        lock_id_ = to_hex(save_unpacked(FileType::lock, encode_lock(me)));
    }
    // Another process may have written its lock at the same moment: look
    // again. Each side looks after writing its own lock, so the later look
    // sees the other's lock. restic first waits 200 ms for backends whose
    // listings lag behind their writes; a local directory's do not.
    if (!be_->immediate_listing()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (auto c = conflict()) {
        unlock();
        raise(WPH_ELOCKED, "repo", "repository " + be_->location() + " is locked: " + *c);
    }
    stop_refresh_ = false;
    refresher_ = std::thread([this] { refresh_loop(); });
}

void Repository::unlock() {
    if (refresher_.joinable()) {
        {
            std::lock_guard<std::mutex> l(lock_mu_);
            stop_refresh_ = true;
        }
        lock_cv_.notify_all();
        refresher_.join();
    }
    std::lock_guard<std::mutex> l(lock_mu_);
    if (lock_id_.empty()) return;
    be_->remove(FileType::lock, lock_id_);
    lock_id_.clear();
}

int Repository::remove_stale_locks(bool all_locks) {
    const auto host = hostname();
    std::string mine;
    {
        std::lock_guard<std::mutex> l(lock_mu_);
        mine = lock_id_;
    }
    int n = 0;
    for (auto &name : list(FileType::lock)) {
        if (name == mine) continue;
        bool stale = all_locks;
        if (!stale) {
            try {
                stale = lock_is_stale(decode_lock(load_unpacked(FileType::lock, name)), host);
            } catch (const Error &) {
                stale = false;
            }
        }
        if (stale) {
            be_->remove(FileType::lock, name);
            ++n;
        }
    }
    return n;
}

}  // namespace wph::repo
