#include <algorithm>
#include <map>
#include <set>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "repo/ops.hpp"

namespace wph::repo {

namespace {

using BlobKey = std::pair<int, Id>;

// Every blob the snapshots need: their trees and the data those trees name.
std::set<BlobKey> used_blobs(Repository &repo, Job *job) {
    std::set<BlobKey> used;
    std::vector<Id> stack;
    for (auto &[id, s] : repo.snapshots()) stack.push_back(s.tree);
    while (!stack.empty()) {
        if (job) job->cancel_token().check("prune");
        Id tree = stack.back();
        stack.pop_back();
        if (!used.insert({static_cast<int>(BlobType::tree), tree}).second) continue;
        for (auto &n : decode_tree(repo.load_blob(BlobType::tree, tree))) {
            for (auto &c : n.content) used.insert({static_cast<int>(BlobType::data), c});
            if (n.subtree) stack.push_back(*n.subtree);
        }
    }
    return used;
}

}  // namespace

PruneStats prune(Repository &repo, bool dry_run, Job *job) {
    PruneStats st;
    RepoLock lock(repo, true);
    repo.load_index();
    if (auto errs = repo.index_errors(); !errs.empty())
        raise(WPH_EIO, "repo", "refusing to prune with a damaged index (" + errs.front() +
                                   "): packs it describes would look unused; repair the index first");

    if (job) job->report("finding used blobs", 0, 4);
    auto used = used_blobs(repo, job);

    if (job) job->report("planning", 1, 4);
    auto files = repo.load_index_files();
    std::map<Id, std::vector<PackEntry>> packs;  // from the index, each blob once per pack
    for (auto &[name, idx] : files)
        for (auto &p : idx.packs) {
            auto &v = packs[p.id];
            for (auto &b : p.blobs)
                if (std::none_of(v.begin(), v.end(), [&](const PackEntry &e) { return e.offset == b.offset; })) v.push_back(b);
        }
    std::map<std::string, std::uint64_t> on_disk;
    repo.backend().list(FileType::pack, [&](const std::string &n, std::uint64_t size) { on_disk[n] = size; });

    // Each used blob is kept in exactly one pack; other copies are unused.
    // Fully used packs are kept, unused ones deleted, the rest repacked.
    std::set<BlobKey> claimed;
    std::vector<Id> keep, remove, repack;
    std::map<Id, std::vector<PackEntry>> to_copy;
    // Prefer keeping packs with the most used blobs, so fewer are rewritten.
    std::vector<std::pair<std::size_t, Id>> order;
    for (auto &[id, blobs] : packs) {
        std::size_t n = 0;
        for (auto &b : blobs) n += used.count({static_cast<int>(b.type), b.id});
        order.emplace_back(n, id);
    }
    std::sort(order.begin(), order.end(), [](auto &a, auto &b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (auto &[n, id] : order) {
        auto hex = to_hex(id);
        auto &blobs = packs[id];
        if (!on_disk.count(hex)) {
            st.missing_packs++;
            continue;  // dropped from the index; any blob still needed is caught below
        }
        std::vector<PackEntry> mine;
        for (auto &b : blobs) {
            BlobKey k{static_cast<int>(b.type), b.id};
            if (used.count(k) && claimed.insert(k).second) mine.push_back(b);
        }
        if (mine.size() == blobs.size()) {
            keep.push_back(id);
        } else if (mine.empty()) {
            remove.push_back(id);
        } else {
            repack.push_back(id);
            to_copy[id] = std::move(mine);
        }
    }
    for (auto &k : used)
        if (!claimed.count(k))
            raise(WPH_EIO, "repo", std::string(blob_type_name(static_cast<BlobType>(k.first))) + " blob " + to_hex(k.second) +
                                       " is needed by a snapshot but is in no pack; the repository is damaged, nothing was pruned (run check)");
    // The kept packs must be what the index says they are.
    for (auto &id : keep) {
        auto &blobs = packs[id];
        std::uint64_t expected = 4 + pack_header_size(blobs);
        for (auto &b : blobs) expected += b.length;
        auto hex = to_hex(id);
        if (on_disk[hex] != expected)
            raise(WPH_EIO, "repo", "pack data/" + hex.substr(0, 2) + "/" + hex + " has size " + std::to_string(on_disk[hex]) +
                                       ", its index implies " + std::to_string(expected) + "; nothing was pruned (run check)");
    }
    std::vector<std::string> unreferenced;
    for (auto &[hex, size] : on_disk) {
        Id id{};
        parse_id(hex, id);
        if (!packs.count(id)) {
            unreferenced.push_back(hex);
            st.bytes_freed += size;
        }
    }
    for (auto &id : remove) st.bytes_freed += on_disk[to_hex(id)];
    st.packs_kept = keep.size();
    st.packs_deleted = remove.size() + unreferenced.size();
    st.packs_repacked = repack.size();
    st.unreferenced_packs = unreferenced.size();
    st.used_blobs = used.size();
    st.index_files_replaced = files.size();
    if (dry_run) return st;

    // Copy what is still needed out of partly used packs.
    if (job) job->report("repacking", 2, 4);
    std::uint64_t repacked_bytes = 0;
    for (auto &id : repack) {
        auto hex = to_hex(id);
        auto bytes = repo.backend().load(FileType::pack, hex);
        for (auto &b : to_copy[id]) {
            if (job) job->cancel_token().check("prune");
            if (std::uint64_t(b.offset) + b.length > bytes.size())
                raise(WPH_EIO, "repo", "pack data/" + hex.substr(0, 2) + "/" + hex + " is shorter than its index says");
            auto plain = repo.open_blob(b, std::string_view(bytes).substr(b.offset, b.length), "pack data/" + hex.substr(0, 2) + "/" + hex);
            repo.repack_blob(b.type, plain, b.id);
            st.blobs_repacked++;
            repacked_bytes += b.length;
        }
        st.bytes_freed += on_disk[hex];
    }
    auto fresh = repo.finish_packs();
    for (auto &p : fresh)
        for (auto &b : p.blobs) st.bytes_freed -= std::min<std::uint64_t>(st.bytes_freed, b.length);

    // New index first (naming every old index file), then deletions.
    if (job) job->report("writing index", 3, 4);
    std::vector<IndexPack> index;
    for (auto &id : keep) index.push_back(IndexPack{id, packs[id]});
    for (auto &p : fresh) index.push_back(std::move(p));
    std::vector<Id> old;
    for (auto &[name, idx] : files) {
        Id id{};
        parse_id(name, id);
        old.push_back(id);
    }
    repo.write_index(std::move(index), old);
    for (auto &[name, idx] : files) repo.backend().remove(FileType::index, name);
    for (auto &id : remove) repo.backend().remove(FileType::pack, to_hex(id));
    for (auto &id : repack) repo.backend().remove(FileType::pack, to_hex(id));
    for (auto &hex : unreferenced) repo.backend().remove(FileType::pack, hex);
    repo.load_index();
    if (job) job->report("done", 4, 4);
    return st;
}

Stats stats(Repository &repo) {
    Stats s;
    for (auto &[id, snap] : repo.snapshots()) {
        s.snapshots++;
        std::vector<Id> stack{snap.tree};
        while (!stack.empty()) {
            Id t = stack.back();
            stack.pop_back();
            for (auto &n : decode_tree(repo.load_blob(BlobType::tree, t))) {
                if (n.type == NodeType::file) {
                    s.restore_files++;
                    s.restore_size += n.size;
                }
                if (n.subtree) stack.push_back(*n.subtree);
            }
        }
    }
    for (auto &p : repo.index_packs()) {
        s.packs++;
        for (auto &b : p.blobs) {
            s.blobs++;
            s.stored_size += b.length;
            s.uncompressed_size += b.uncompressed_length ? b.uncompressed_length : b.length - kCryptoOverhead;
        }
    }
    repo.backend().list(FileType::pack, [&](const std::string &, std::uint64_t size) { s.pack_bytes += size; });
    return s;
}

}  // namespace wph::repo
