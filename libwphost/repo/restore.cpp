#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/error.hpp"
#include "engine/job.hpp"
#include "repo/direct_writer.hpp"
#include "repo/ops.hpp"
#include "repo/task_pool.hpp"
#include "util/fs.hpp"

namespace wph::repo {

std::string find_snapshot(Repository &repo, const std::string &spec, const std::string &host) {
    if (spec.empty() || spec == "latest") {
        std::string best;
        for (auto &[id, s] : repo.snapshots())
            if (host.empty() || s.hostname == host) best = id;  // sorted oldest first
        if (best.empty()) raise(WPH_ENOTFOUND, "repo", "no snapshot" + (host.empty() ? std::string() : " of host " + host) + " found");
        return best;
    }
    return repo.resolve(FileType::snapshot, spec);
}

namespace {

// A name from a repository must be one path component.
void check_name(const std::string &name, const std::string &where) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        raise(WPH_EIO, "repo", "tree at " + where + " holds an unsafe name \"" + name + "\" (damaged or hostile repository)");
}

Snapshot load_snapshot(Repository &repo, const std::string &id) {
    return decode_snapshot(repo.load_unpacked(FileType::snapshot, id));
}

// Walk a tree depth first; fn(path, node) returns false to skip a directory's contents.
void walk(Repository &repo, const Id &tree, const std::string &prefix,
          const std::function<bool(const std::string &, const Node &)> &fn, Job *job) {
    for (auto &n : decode_tree(repo.load_blob(BlobType::tree, tree))) {
        if (job) job->cancel_token().check("reading the snapshot");
        check_name(n.name, prefix.empty() ? "/" : prefix);
        std::string path = prefix + "/" + n.name;
        if (!fn(path, n)) continue;
        if (n.type == NodeType::dir && n.subtree) walk(repo, *n.subtree, path, fn, job);
    }
}

struct timespec to_ts(const Time &t) {
    struct timespec ts{};
    ts.tv_sec = static_cast<time_t>(t.sec);
    ts.tv_nsec = t.nsec;
    return ts;
}

[[noreturn]] void fs_fail(const std::string &what, const std::string &path) {
    raise(WPH_EIO, "repo", "cannot " + what + " " + path + ": " + errno_text(errno));
}

class Restorer {
public:
    Restorer(Repository &repo, const RestoreOptions &opts, Job *job) : repo_(repo), opts_(opts), job_(job) {}

    RestoreStats run() {
        if (opts_.target.empty()) raise(WPH_EINVALID, "repo", "restore needs a target directory");
        auto id = find_snapshot(repo_, opts_.snapshot, opts_.host);
        auto snap = load_snapshot(repo_, id);
        util::make_dirs(opts_.target, 0700, "repo");
        // Sizes first, for progress.
        std::uint64_t total = 0;
        walk(repo_, snap.tree, "", [&](const std::string &path, const Node &n) {
            if (n.type == NodeType::file && selected(path)) total += n.size;
            return true;
        }, job_);
        total_ = total;
        restore_tree(snap.tree, "", opts_.target, false);
        pool_.wait_all();
        // Directories last, innermost first: a read-only directory must not
        // stop its files from being written.
        for (auto &[path, node] : dirs_) finish(path, node);
        stats_.bytes = bytes_.load();
        return stats_;
    }

private:
    bool selected(const std::string &path) {
        for (auto &p : opts_.excludes)
            if (pattern_matches(p, path)) return false;
        if (opts_.includes.empty()) return true;
        for (auto &p : opts_.includes)
            if (pattern_matches(p, path)) return true;
        return false;
    }
    // A directory is entered if something below it may be included.
    bool may_contain_selected(const std::string &dir) {
        if (opts_.includes.empty() || selected(dir)) return true;
        for (auto &p : opts_.includes) {
            // An anchored pattern below this directory, or any unanchored pattern.
            if (p[0] != '/' || p.compare(0, dir.size() + 1, dir + "/") == 0) return true;
        }
        return false;
    }


    // Restore the children of `tree` into the existing directory `dest`.
    // Returns whether anything was restored below.
    // `fresh`: dest was created by this restore, so nothing is in the way.
    bool restore_tree(const Id &tree, const std::string &snap_path, const std::string &dest, bool fresh) {
        bool any = false;
        for (auto &n : decode_tree(repo_.load_blob(BlobType::tree, tree))) {
            if (job_) job_->cancel_token().check("restore");
            check_name(n.name, snap_path.empty() ? "/" : snap_path);
            std::string sp = snap_path + "/" + n.name;
            std::string dp = dest + "/" + n.name;
            if (n.type == NodeType::dir) {
                if (!n.subtree || !may_contain_selected(sp)) continue;
                bool whole = selected(sp);
                bool made = ::mkdir(dp.c_str(), 0700) == 0;
                if (!made && errno != EEXIST) fs_fail("create directory", dp);
                bool below = restore_tree(*n.subtree, sp, dp, made);
                if (!below && !whole) {
                    ::rmdir(dp.c_str());  // created only to look inside
                    continue;
                }
                dirs_.emplace_back(dp, n);  // finished once everything below is written
                stats_.dirs++;
                any = true;
                continue;
            }
            if (!selected(sp)) continue;
            restore_node(n, dp, fresh);
            any = true;
        }
        return any;
    }

    void remove_existing(const std::string &path) {
        struct stat st{};
        if (::lstat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && ::unlink(path.c_str()) != 0) fs_fail("replace", path);
    }

    void restore_node(const Node &n, const std::string &dp, bool fresh) {
        if (!fresh) remove_existing(dp);
        switch (n.type) {
        case NodeType::file: {
            if (n.links > 1) {
                auto key = std::make_pair(n.inode, n.device_id);
                auto it = links_.find(key);
                if (it != links_.end()) {
                    if (::link(it->second.c_str(), dp.c_str()) == 0) {
                        stats_.hardlinks++;
                        return;
                    }
                }
                links_[key] = dp;
            }
            // Created here, one after another (workers creating files in one
            // directory at once contend for its lock), and written on a worker
            // through the descriptor opened here.
            auto f = std::make_shared<DirectWriter::File>();
            f->what = dp;
            if (n.size >= kDirectFrom) {
                f->fd = DirectWriter::open_direct(dp.c_str(), O_CREAT | O_TRUNC | O_NOFOLLOW, 0600, f->direct);
            } else {
                f->fd = ::open(dp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
            }
            if (f->fd < 0) fs_fail("create", dp);
            stats_.files++;
            pool_.submit([this, n, dp, f] { write_file(n, dp, *f); });
            return;
        }
        case NodeType::symlink:
            if (::symlink(n.linktarget.c_str(), dp.c_str()) != 0) fs_fail("create symlink", dp);
            stats_.others++;
            break;
        case NodeType::fifo:
            if (::mkfifo(dp.c_str(), 0600) != 0) fs_fail("create fifo", dp);
            stats_.others++;
            break;
        case NodeType::dev:
        case NodeType::chardev:
            if (!root_) return;  // only root may create devices
            if (::mknod(dp.c_str(), (n.type == NodeType::dev ? S_IFBLK : S_IFCHR) | 0600, static_cast<dev_t>(n.device)) != 0)
                fs_fail("create device", dp);
            stats_.others++;
            break;
        case NodeType::socket:
        case NodeType::dir:
            return;
        }
        finish(dp, n);
    }

    // Files from this size on are written around the page cache.
    static constexpr std::uint64_t kDirectFrom = 512 * 1024;

    // Small files go through the page cache; large ones, opened with
    // O_DIRECT, out of this worker's staging buffer in whole blocks (see
    // direct_writer.hpp). While one worker waits for the disk, the others
    // decrypt.
    void write_file(const Node &n, const std::string &dp, DirectWriter::File &f) {
        static thread_local Buffer stage;
        if (!stage) stage = Buffer(DirectWriter::kStage);
        std::size_t fill = 0;
        std::uint64_t off = 0, written = 0;
        for (auto &id : n.content) {
            auto blob = repo_.load_blob_in(BlobType::data, id, scratch());
            for (std::size_t done = 0; done < blob.size();) {
                if (fill == stage.capacity()) {
                    DirectWriter::write_at(f, stage.data(), fill, off, false);
                    off += fill;
                    fill = 0;
                }
                std::size_t k = std::min(blob.size() - done, stage.capacity() - fill);
                std::memcpy(stage.data() + fill, blob.data() + done, k);
                fill += k;
                done += k;
            }
            written += blob.size();
            progress(blob.size());
        }
        check_size(n, dp, written);
        DirectWriter::write_at(f, stage.data(), fill, off, true);
        if (::close(std::exchange(f.fd, -1)) != 0) fs_fail("write", dp);
        finish(dp, n);
    }

    static BlobScratch &scratch() {
        static thread_local BlobScratch s;  // reused by each worker for every blob
        return s;
    }

    void progress(std::uint64_t n) {
        auto done = bytes_ += n;
        if (job_) job_->report_bytes("restore", done, total_);
    }

    static void check_size(const Node &n, const std::string &dp, std::uint64_t written) {
        if (written != n.size)
            raise(WPH_EIO, "repo", "file " + dp + ": the snapshot says " + std::to_string(n.size) + " bytes, its content has " +
                                       std::to_string(written));
    }

    // Ownership, extended attributes, mode and times, in that order (chown
    // clears setuid bits; setting times must come last).
    void finish(const std::string &path, const Node &n) {
        bool link = n.type == NodeType::symlink;
        if (root_ && ::lchown(path.c_str(), n.uid, n.gid) != 0) fs_fail("chown", path);
        for (auto &x : n.xattrs) ::lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0);
        if (!link && ::chmod(path.c_str(), posix_mode_from_go(n.mode)) != 0) fs_fail("chmod", path);
        struct timespec ts[2] = {to_ts(n.atime), to_ts(n.mtime)};
        if (::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) fs_fail("set times of", path);
    }

    Repository &repo_;
    const RestoreOptions &opts_;
    Job *job_;
    RestoreStats stats_;
    const bool root_ = ::geteuid() == 0;
    std::uint64_t total_ = 0;
    std::atomic<std::uint64_t> bytes_{0};
    std::vector<std::pair<std::string, Node>> dirs_;  // post-order
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> links_;
    // Two workers per core: one decrypts while the other waits for the disk
    // (packs are read, and large files written, around the page cache).
    TaskPool pool_{2 * TaskPool::cores(1, 8), 64};  // last: joined first
};

}  // namespace

RestoreStats restore(Repository &repo, const RestoreOptions &opts, Job *job) {
    return Restorer(repo, opts, job).run();
}

void ls(Repository &repo, const std::string &snapshot, const std::function<void(const LsEntry &)> &fn) {
    auto snap = load_snapshot(repo, find_snapshot(repo, snapshot));
    walk(repo, snap.tree, "", [&](const std::string &path, const Node &n) {
        fn(LsEntry{path, n});
        return true;
    }, nullptr);
}

void dump(Repository &repo, const std::string &snapshot, const std::string &path,
          const std::function<void(const char *, std::size_t)> &write) {
    auto snap = load_snapshot(repo, find_snapshot(repo, snapshot));
    std::string want = path.empty() || path[0] != '/' ? "/" + path : path;
    Id tree = snap.tree;
    std::size_t pos = 1;
    for (;;) {
        auto next = want.find('/', pos);
        std::string name = want.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        const Node *found = nullptr;
        auto nodes = decode_tree(repo.load_blob(BlobType::tree, tree));
        for (auto &n : nodes)
            if (n.name == name) found = &n;
        if (!found) raise(WPH_ENOTFOUND, "repo", "no " + want + " in the snapshot");
        if (next == std::string::npos || next + 1 == want.size()) {
            if (found->type != NodeType::file) raise(WPH_EINVALID, "repo", want + " is not a file");
            BlobScratch scratch;
            for (auto &id : found->content) {
                auto blob = repo.load_blob_in(BlobType::data, id, scratch);
                write(blob.data(), blob.size());
            }
            return;
        }
        if (found->type != NodeType::dir || !found->subtree) raise(WPH_ENOTFOUND, "repo", "no " + want + " in the snapshot");
        tree = *found->subtree;
        pos = next + 1;
    }
}

}  // namespace wph::repo
