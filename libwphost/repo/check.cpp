#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <map>
#include <set>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "repo/ops.hpp"
#include "repo/task_pool.hpp"

namespace wph::repo {

namespace {

std::uint32_t le32_at(std::string_view s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

std::string pack_path(const std::string &id) { return "data/" + id.substr(0, 2) + "/" + id; }

// Read one pack whole: its hash, its header against the index, every blob.
void verify_pack(Repository &repo, const std::string &pid, const std::vector<PackEntry> &blobs,
                 std::vector<std::string> &errors, std::atomic<std::uint64_t> &blobs_read) {
    // Buffers kept by this worker from pack to pack.
    static thread_local Buffer pack;
    static thread_local BlobScratch scratch;
    std::string_view bytes;
    try {
        auto size = repo.backend().size(FileType::pack, pid);
        if (size) bytes = std::string_view(repo.backend().load_into(FileType::pack, pid, 0, size, pack), size);
    } catch (const Error &e) {
        errors.push_back(e.message());
        return;
    }
    if (to_hex(sha256(bytes)) != pid) {
        errors.push_back(pack_path(pid) + " does not match its name (damaged)");
        return;
    }
    if (bytes.size() < 4 + kCryptoOverhead) {
        errors.push_back(pack_path(pid) + " is too short to be a pack");
        return;
    }
    std::uint32_t hlen = le32_at(bytes, bytes.size() - 4);
    if (hlen < kCryptoOverhead || hlen > bytes.size() - 4) {
        errors.push_back(pack_path(pid) + " has an impossible header length " + std::to_string(hlen));
        return;
    }
    std::vector<PackEntry> entries;
    try {
        entries = repo.open_pack_header(bytes.substr(bytes.size() - 4 - hlen, hlen));
    } catch (const Error &e) {
        errors.push_back(pack_path(pid) + ": " + e.message());
        return;
    }
    std::set<std::tuple<int, Id, std::uint32_t, std::uint32_t, std::uint32_t>> in_index, in_header;
    for (auto &b : blobs) in_index.insert({static_cast<int>(b.type), b.id, b.offset, b.length, b.uncompressed_length});
    for (auto &e : entries) in_header.insert({static_cast<int>(e.type), e.id, e.offset, e.length, e.uncompressed_length});
    if (in_index != in_header) errors.push_back(pack_path(pid) + ": the pack header and the index disagree on its blobs");
    for (auto &e : entries) {
        blobs_read++;
        if (std::uint64_t(e.offset) + e.length > bytes.size() - 4 - hlen) {
            errors.push_back(pack_path(pid) + ": blob " + to_hex(e.id) + " lies outside the pack");
            continue;
        }
        try {
            // Opened in a copy: a damaged header may list overlapping blobs.
            if (scratch.raw.capacity() < e.length) scratch.raw = Buffer(e.length);
            std::memcpy(scratch.raw.data(), bytes.data() + e.offset, e.length);
            repo.open_blob_in(e, scratch.raw.data(), scratch, pack_path(pid));
        } catch (const Error &x) {
            errors.push_back(x.message());
        }
    }
}

}  // namespace

CheckResult check(Repository &repo, bool read_data, Job *job) {
    CheckResult res;
    auto err = [&](std::string s) { res.errors.push_back(std::move(s)); };
    RepoLock lock(repo, true);

    // 1. Every index file loads (name, MAC, format).
    if (job) job->report("index", 0, 4);
    std::map<std::string, std::vector<PackEntry>> index_packs;
    std::set<std::pair<int, Id>> indexed_blobs;
    for (auto &name : repo.list(FileType::index)) {
        try {
            auto idx = decode_index(repo.load_unpacked(FileType::index, name), repo.version());
            for (auto &p : idx.packs) {
                auto pid = to_hex(p.id);
                if (index_packs.count(pid)) res.warnings.push_back("pack " + pid + " is listed in more than one index file");
                auto &v = index_packs[pid];
                v.insert(v.end(), p.blobs.begin(), p.blobs.end());
                for (auto &b : p.blobs) indexed_blobs.insert({static_cast<int>(b.type), b.id});
            }
        } catch (const Error &e) {
            err("index/" + name + ": " + e.message());
        }
    }

    // 2. Every indexed pack exists with the size its index entries imply.
    if (job) job->report("packs", 1, 4);
    std::map<std::string, std::uint64_t> on_disk;
    repo.backend().list(FileType::pack, [&](const std::string &n, std::uint64_t size) { on_disk[n] = size; });
    for (auto &[pid, blobs] : index_packs) {
        std::uint64_t expected = 4;
        std::map<std::uint32_t, const PackEntry *> by_offset;
        for (auto &b : blobs) {
            if (!by_offset.emplace(b.offset, &b).second) continue;  // duplicate listing of one blob
        }
        std::vector<PackEntry> unique;
        for (auto &[off, b] : by_offset) unique.push_back(*b);
        for (auto &b : unique) expected += b.length;
        expected += pack_header_size(unique);
        auto it = on_disk.find(pid);
        if (it == on_disk.end()) {
            err("pack " + pid + " is in the index but missing from " + pack_path(pid));
            continue;
        }
        if (it->second != expected)
            err(pack_path(pid) + ": size " + std::to_string(it->second) + " differs from the " + std::to_string(expected) +
                " bytes its index entries imply");
    }
    for (auto &[pid, size] : on_disk)
        if (!index_packs.count(pid)) res.warnings.push_back("pack " + pid + " is not referenced in any index (left by an interrupted backup?)");
    res.packs = index_packs.size();

    // 3. Every snapshot and every tree it reaches; every content blob is indexed.
    if (job) job->report("snapshots", 2, 4);
    std::set<Id> trees_seen;
    std::function<void(const Id &, const std::string &)> visit = [&](const Id &tree, const std::string &where) {
        if (!trees_seen.insert(tree).second) return;
        if (job) job->cancel_token().check("check");
        res.trees++;
        if (!indexed_blobs.count({static_cast<int>(BlobType::tree), tree})) {
            err("tree " + to_hex(tree) + " (" + where + ") is not in the index");
            return;
        }
        std::vector<Node> nodes;
        try {
            nodes = decode_tree(repo.load_blob(BlobType::tree, tree));
        } catch (const Error &e) {
            err("tree " + to_hex(tree) + " (" + where + "): " + e.message());
            return;
        }
        for (auto &n : nodes) {
            std::string path = where + (where == "/" ? "" : "/") + n.name;
            if (n.type == NodeType::file) {
                for (auto &id : n.content)
                    if (!indexed_blobs.count({static_cast<int>(BlobType::data), id}))
                        err("file " + path + ": data blob " + to_hex(id) + " is not in the index");
            } else if (n.type == NodeType::dir && n.subtree) {
                visit(*n.subtree, path);
            }
        }
    };
    for (auto &name : repo.list(FileType::snapshot)) {
        try {
            auto s = decode_snapshot(repo.load_unpacked(FileType::snapshot, name));
            res.snapshots++;
            visit(s.tree, "/");
        } catch (const Error &e) {
            if (e.code() == WPH_ECANCELLED || e.code() == WPH_EUSER) throw;
            err("snapshots/" + name + ": " + e.message());
        }
    }

    // 4. Optionally read every pack: hash, header, every blob.
    if (read_data) {
        if (job) job->report("read data", 3, 4);
        std::uint64_t total = 0, done = 0;
        for (auto &[pid, blobs] : index_packs)
            if (on_disk.count(pid)) total += on_disk[pid];
        std::mutex mu;  // guards res and done
        std::atomic<std::uint64_t> blobs_read{0};
        TaskPool pool(TaskPool::cores(), TaskPool::cores());  // each task holds one pack in memory
        for (auto &[pid_ref, blobs_ref] : index_packs) {
            if (!on_disk.count(pid_ref)) continue;
            if (job) job->cancel_token().check("check --read-data");
            pool.submit([&, pid = pid_ref, &blobs = blobs_ref] {
                std::vector<std::string> found;
                verify_pack(repo, pid, blobs, found, blobs_read);
                std::lock_guard<std::mutex> l(mu);
                for (auto &f : found) res.errors.push_back(std::move(f));
                done += on_disk.at(pid);
                if (job) job->report_bytes("read data", done, total);
            });
        }
        pool.wait_all();
        res.blobs_read = blobs_read.load();
    }
    if (job) job->report("done", 4, 4);
    return res;
}

}  // namespace wph::repo
