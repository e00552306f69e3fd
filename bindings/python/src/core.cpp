// wphost._core: a thin pybind11 layer over the C ABI (through wphost.hpp), so
// Python sees exactly what C callers see. The pure-Python package `wphost`
// builds the friendly API on top.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <type_traits>
#include <optional>
#include <vector>

#include "wphost.hpp"

namespace py = pybind11;

namespace {

// Holds the Python callbacks (progress, and the reader of a stream backup)
// for as long as the job may call them.
struct Callback {
    py::object fn;    // progress, may be None
    py::object read;  // stream reader (a callable taking a size), may be None
};

long read_trampoline(char *buf, unsigned long cap, void *payload) {
    py::gil_scoped_acquire gil;
    auto *cb = static_cast<Callback *>(payload);
    try {
        py::object chunk = cb->read(cap);
        if (chunk.is_none()) return 0;
        std::string data = py::bytes(chunk);
        if (data.size() > cap) throw std::length_error("read returned more bytes than asked for");
        std::memcpy(buf, data.data(), data.size());
        return static_cast<long>(data.size());
    } catch (py::error_already_set &e) {
        e.discard_as_unraisable("wphost stream reader");
        return -1;
    } catch (const std::exception &) {
        return -1;
    }
}

py::dict progress_dict(const wph_progress &p) {
    py::dict d;
    d["phase"] = p.phase ? p.phase : "";
    d["step"] = p.step;
    d["steps"] = p.steps;
    d["percent"] = p.percent;
    d["bytes_done"] = p.bytes_done;
    d["bytes_total"] = p.bytes_total;
    d["files_done"] = p.files_done;
    d["files_total"] = p.files_total;
    d["elapsed_seconds"] = p.elapsed_seconds;
    d["eta_seconds"] = p.eta_seconds;
    // File names are bytes on Linux: decode as os.fsdecode does (surrogateescape).
    d["item"] = py::reinterpret_steal<py::str>(PyUnicode_DecodeFSDefault(p.item));
    return d;
}

int progress_trampoline(const wph_progress *p, void *payload) {
    py::gil_scoped_acquire gil;
    auto *cb = static_cast<Callback *>(payload);
    if (cb->fn.is_none()) return 0;
    try {
        py::object r = cb->fn(progress_dict(*p));
        // None or a true value goes on; False cancels the job.
        return (r.is_none() || py::bool_(r)) ? 0 : 1;
    } catch (py::error_already_set &e) {
        e.discard_as_unraisable("wphost progress callback");
        return 1;
    }
}

class PyJob {
public:
    PyJob(wph_job *h, std::unique_ptr<Callback> cb) : job_(h), cb_(std::move(cb)) {}
    ~PyJob() {
        if (cb_) {
            // The callback must not run after it is freed: stop the job first.
            job_.cancel();
            py::gil_scoped_release nogil;
            try { job_.wait(); } catch (...) {}
        }
    }

    std::int64_t id() const { return job_.id(); }
    std::string kind() const { return job_.kind(); }
    int state() const { return job_.state(); }
    py::dict progress() const {
        wph_progress p{};
        p.version = WPH_PROGRESS_VERSION;
        wphost::check(wph_job_progress(&p, job_.c_handle()));
        return progress_dict(p);
    }
    bool cancel() { return job_.cancel(); }

    // Wait with the GIL released, in slices, so that Ctrl-C (or any signal
    // handler raising) cancels the job: the job is stopped and waited for,
    // then the exception propagates. timeout None waits without limit.
    bool wait(std::optional<double> timeout) {
        using namespace std::chrono;
        auto deadline = timeout ? steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(*timeout))
                                : steady_clock::time_point::max();
        for (;;) {
            bool ended;
            {
                auto left = deadline - steady_clock::now();
                auto slice = std::min<steady_clock::duration>(milliseconds(100), std::max(left, steady_clock::duration::zero()));
                py::gil_scoped_release nogil;
                ended = job_.wait_for(duration_cast<milliseconds>(slice));
            }
            if (ended) return true;
            if (PyErr_CheckSignals() != 0) {
                job_.cancel();
                {
                    py::gil_scoped_release nogil;
                    job_.wait();
                }
                throw py::error_already_set();
            }
            if (steady_clock::now() >= deadline) return false;
        }
    }

    std::string result() {
        wait(std::nullopt);
        return job_.result();
    }

    std::optional<py::tuple> error() const {
        const wph_error *e = wph_job_error(job_.c_handle());
        if (!e) return std::nullopt;
        return py::make_tuple(wph_error_code(e), wph_error_category(e), wph_error_message(e), wph_error_http_status(e));
    }

private:
    wphost::Job job_;
    std::unique_ptr<Callback> cb_;
};

// Start a job with an optional progress callback; the callback holder lives
// as long as the job handle.
// A C call that hands back a library-owned JSON string, run without the GIL.
template <class F> std::string json_without_gil(F &&f) {
    char *out = nullptr;
    int rc;
    {
        py::gil_scoped_release nogil;
        rc = f(&out);
    }
    wphost::check(rc);
    std::string s = out;
    wph_str_free(out);
    return s;
}

template <class F> std::unique_ptr<PyJob> start_job(const std::optional<py::function> &progress, F &&start,
                                                     py::object read = py::none()) {
    std::unique_ptr<Callback> cb;
    wph_job_options o = WPH_JOB_OPTIONS_INIT;
    if (progress || !read.is_none()) {
        cb = std::make_unique<Callback>(Callback{progress ? py::object(*progress) : py::none(), read});
        if (progress) o.progress_cb = progress_trampoline;
        o.payload = cb.get();
    }
    wph_job *h = nullptr;
    if constexpr (std::is_invocable_v<F, wph_job **, const wph_job_options *, Callback *>)
        wphost::check(start(&h, &o, cb.get()));
    else
        wphost::check(start(&h, &o));
    return std::make_unique<PyJob>(h, std::move(cb));
}

class PyEngine {
public:
    PyEngine(std::optional<std::string> state_dir, std::optional<std::string> host_profile, unsigned threads) {
        wphost::EngineOptions o;
        if (state_dir) o.state_dir(*state_dir);
        if (host_profile) o.host_profile(*host_profile);
        o.threads(threads);
        engine_.emplace(std::move(o));  // no GIL release in a constructor
    }

    wphost::Engine &get() {
        if (!engine_) throw wphost::Error(WPH_EINVALID, "engine", "engine is closed");
        return *engine_;
    }

    void close() {
        if (!engine_) return;
        // Freeing waits for running jobs, whose callbacks may need the GIL.
        {
            py::gil_scoped_release nogil;
            engine_.reset();
        }
        on_event_ = py::none();
    }

    // The engine's event callback, called with the GIL taken on the
    // emitting (worker) thread; None clears it.
    void set_event_callback(py::object fn) {
        auto *h = c_handle();
        if (fn.is_none()) {
            wphost::check(wph_engine_set_event_callback(h, nullptr, nullptr));
            on_event_ = py::none();
            return;
        }
        auto holder = std::make_unique<py::object>(fn);
        wphost::check(wph_engine_set_event_callback(h, &event_trampoline, holder.get()));
        // The old holder may be in use by a callback running right now: keep it.
        if (on_event_holder_) retired_.push_back(std::move(on_event_holder_));
        on_event_holder_ = std::move(holder);
        on_event_ = fn;
    }

    std::unique_ptr<PyJob> host_check_start(std::optional<py::function> progress) {
        return start_job(progress, [&](wph_job **j, const wph_job_options *o) {
            return wph_host_check_start(j, get().c_handle(), o);
        });
    }

    wph_engine *c_handle() { return get().c_handle(); }

    // A call that hands back JSON, run without the GIL.
    template <class F> std::string json(F &&f) {
        auto *eh = c_handle();
        return json_without_gil([&](char **out) { return f(eh, out); });
    }

private:
    static int event_trampoline(const char *event_json, void *payload) {
        py::gil_scoped_acquire gil;
        try {
            (*static_cast<py::object *>(payload))(std::string(event_json));
        } catch (py::error_already_set &e) {
            e.discard_as_unraisable("wphost event callback");
        }
        return 0;
    }
    std::optional<wphost::Engine> engine_;
    py::object on_event_ = py::none();
    std::unique_ptr<py::object> on_event_holder_;
    std::vector<std::unique_ptr<py::object>> retired_;
};

// A provider client; calls run without the GIL.
class PyProvider {
public:
    PyProvider(PyEngine &e, const std::string &config) {
        auto *eh = e.c_handle();
        wphost::check(wph_provider_open(&h_, eh, config.c_str()));
    }
    ~PyProvider() { wph_provider_free(h_); }
    wph_provider *h() {
        if (!h_) throw wphost::Error(WPH_EINVALID, "provider", "provider is closed");
        return h_;
    }
    void close() {
        wph_provider_free(h_);
        h_ = nullptr;
    }

private:
    wph_provider *h_ = nullptr;
};

// A probe monitor; the Python callbacks are kept alive with it and called
// with the GIL taken on the monitor's alert thread.
class PyMonitor {
public:
    PyMonitor(PyEngine &e, const std::string &defs, std::optional<py::function> on_event, std::optional<py::function> remediate)
        : on_event_(on_event ? py::object(*on_event) : py::none()), remediate_(remediate ? py::object(*remediate) : py::none()) {
        wph_probe_monitor_options o = WPH_PROBE_MONITOR_OPTIONS_INIT;
        if (!on_event_.is_none()) {
            o.on_event = &trampoline;
            o.event_payload = &on_event_;
        }
        if (!remediate_.is_none()) {
            o.remediate = &trampoline;
            o.remediate_payload = &remediate_;
        }
        auto *eh = e.c_handle();
        wphost::check(wph_probe_monitor_start(&h_, eh, defs.c_str(), &o));
    }
    ~PyMonitor() { close(); }
    void close() {
        if (!h_) return;
        wph_probe_monitor *h = std::exchange(h_, nullptr);
        py::gil_scoped_release nogil;  // stopping waits for the alert thread, which may need the GIL
        wph_probe_monitor_free(h);
    }
    template <class F> std::string json(F &&f) {
        if (!h_) throw wphost::Error(WPH_EINVALID, "probe", "monitor is closed");
        return json_without_gil([&](char **out) { return f(h_, out); });
    }

private:
    static int trampoline(const char *event_json, void *payload) {
        py::gil_scoped_acquire gil;
        try {
            (*static_cast<py::object *>(payload))(std::string(event_json));
        } catch (py::error_already_set &e) {
            e.discard_as_unraisable("wphost probe event callback");
        }
        return 0;
    }
    py::object on_event_, remediate_;
    wph_probe_monitor *h_ = nullptr;
};

class PyRepo {
public:
    static std::unique_ptr<PyRepo> make(PyEngine &e, bool create, const std::string &location, std::optional<std::string> password,
                                        std::optional<std::string> password_file, unsigned version,
                                        std::optional<std::string> compression, unsigned scrypt_n) {
        wphost::RepoOptions o;
        o.location(location);
        if (password) o.password(*password);
        if (password_file) o.password_file(*password_file);
        if (compression) o.compression(*compression);
        o.repo_version(version);
        if (scrypt_n) o.scrypt(scrypt_n, 0, 0);
        auto *eh = e.c_handle();
        const wph_repo_options *co = o.c_options();
        wph_repo *r = nullptr;
        int rc;
        {
            // Opening derives the key with scrypt and reads the index: slow.
            py::gil_scoped_release nogil;
            rc = create ? wph_repo_init(&r, eh, co) : wph_repo_open(&r, eh, co);
        }
        wphost::check(rc);
        return std::unique_ptr<PyRepo>(new PyRepo(r));
    }
    ~PyRepo() { wph_repo_free(h_); }

    wph_repo *h() {
        if (!h_) throw wphost::Error(WPH_EINVALID, "repo", "repository is closed");
        return h_;
    }
    void close() {
        wph_repo_free(h_);
        h_ = nullptr;
    }
    template <class F> std::string json(F &&f) { return json_without_gil(std::forward<F>(f)); }

private:
    explicit PyRepo(wph_repo *h) : h_(h) {}
    wph_repo *h_;
};

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "Low-level binding of libwphost's C ABI. Use the `wphost` package instead.";

    static py::exception<wphost::Error> fallback(m, "CoreError");
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const wphost::Error &e) {
            // Raise the matching class of the wphost.errors hierarchy.
            try {
                py::object factory = py::module_::import("wphost.errors").attr("_from_core");
                py::object exc = factory(e.code(), e.category(), std::string(e.what()), e.http_status());
                PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(exc.ptr())), exc.ptr());
            } catch (py::error_already_set &) {
                fallback(e.what());
            }
        }
    });

    m.def("version", &wphost::version);
    m.def("version_number", [] { return wph_version_number(); });
    m.def("schema_version", [] { return wph_engine_schema_version(); });
    m.def("error_code_name", [](int code) { return std::string(wph_error_code_name(code)); });

    py::class_<PyJob>(m, "Job")
        .def_property_readonly("id", &PyJob::id)
        .def_property_readonly("kind", &PyJob::kind)
        .def_property_readonly("state", &PyJob::state)
        .def("progress", &PyJob::progress)
        .def("cancel", &PyJob::cancel)
        .def("wait", &PyJob::wait, py::arg("timeout") = py::none())
        .def("result", &PyJob::result)
        .def("error", &PyJob::error);

    py::class_<PyEngine>(m, "Engine")
        .def(py::init<std::optional<std::string>, std::optional<std::string>, unsigned>(), py::arg("state_dir") = py::none(),
             py::arg("host_profile") = py::none(), py::arg("threads") = 0)
        .def("close", &PyEngine::close)
        .def_property_readonly("state_dir", [](PyEngine &e) { return e.get().state_dir(); })
        .def("info", [](PyEngine &e) { return e.get().info(); })
        .def("jobs", [](PyEngine &e, unsigned limit) { return e.get().jobs(limit); }, py::arg("limit") = 0)
        .def("host_check_start", &PyEngine::host_check_start, py::arg("progress") = py::none())
        .def("site_plan", [](PyEngine &e, const std::string &spec) {
            return e.json([&](wph_engine *h, char **o) { return wph_site_plan(o, h, spec.c_str()); });
        })
        .def("site_list", [](PyEngine &e) { return e.json([](wph_engine *h, char **o) { return wph_site_list(o, h); }); })
        .def("site_get", [](PyEngine &e, const std::string &d) {
            return e.json([&](wph_engine *h, char **o) { return wph_site_get(o, h, d.c_str()); });
        })
        .def("probe_run_start", [](PyEngine &e, const std::string &defs, std::optional<py::function> progress) {
            auto *h = e.c_handle();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) { return wph_probe_run(j, h, defs.c_str(), o); });
        }, py::arg("defs"), py::arg("progress") = py::none())
        .def("probe_stats", [](PyEngine &e, std::optional<std::string> name, long long window) {
            return e.json([&](wph_engine *h, char **o) { return wph_probe_stats(o, h, name ? name->c_str() : nullptr, window); });
        })
        .def("probe_history", [](PyEngine &e, std::optional<std::string> name, unsigned limit) {
            return e.json([&](wph_engine *h, char **o) { return wph_probe_history(o, h, name ? name->c_str() : nullptr, limit); });
        })
        .def("set_event_callback", &PyEngine::set_event_callback, py::arg("fn"))
        .def("events", [](PyEngine &e, const std::string &prefix, long long after, unsigned limit) {
            return e.json([&](wph_engine *h, char **o) { return wph_engine_events(o, h, prefix.c_str(), after, limit); });
        }, py::arg("kind_prefix") = "", py::arg("after_id") = 0, py::arg("limit") = 0)
        .def("cert_account", [](PyEngine &e, std::optional<std::string> acme) {
            return e.json([&](wph_engine *h, char **o) { return wph_cert_account(o, h, acme ? acme->c_str() : nullptr); });
        }, py::arg("acme") = py::none())
        .def("cert_list", [](PyEngine &e) { return e.json([](wph_engine *h, char **o) { return wph_cert_list(o, h); }); })
        .def("cert_get", [](PyEngine &e, const std::string &name) {
            return e.json([&](wph_engine *h, char **o) { return wph_cert_get(o, h, name.c_str()); });
        })
        // Certificate jobs: op is issue | renew | revoke.
        .def("cert_start", [](PyEngine &e, const std::string &op, std::optional<std::string> name,
                              std::optional<std::string> doc, std::optional<py::function> progress) {
            auto *h = e.c_handle();
            const char *d = doc ? doc->c_str() : nullptr;
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) {
                if (op == "issue") return wph_cert_issue(j, h, d, o);
                if (op == "renew") return wph_cert_renew(j, h, d, o);
                if (op == "revoke") return wph_cert_revoke(j, h, name ? name->c_str() : nullptr, d, o);
                throw wphost::Error(WPH_EINVALID, "cert", "unknown certificate operation " + op);
            });
        }, py::arg("op"), py::arg("name") = py::none(), py::arg("doc") = py::none(), py::arg("progress") = py::none())
        // Site jobs: op is the operation, a and b its string arguments.
        .def("site_start", [](PyEngine &e, const std::string &op, const std::string &a, std::optional<std::string> b,
                              std::optional<py::function> progress) {
            auto *h = e.c_handle();
            const char *bs = b ? b->c_str() : nullptr;
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) {
                if (op == "create") return wph_site_create(j, h, a.c_str(), o);
                if (op == "delete") return wph_site_delete(j, h, a.c_str(), o);
                if (op == "suspend") return wph_site_suspend(j, h, a.c_str(), 1, o);
                if (op == "unsuspend") return wph_site_suspend(j, h, a.c_str(), 0, o);
                if (op == "set_php") return wph_site_set_php(j, h, a.c_str(), bs, o);
                if (op == "regenerate") return wph_site_regenerate(j, h, a.c_str(), o);
                if (op == "clone") return wph_site_clone(j, h, a.c_str(), bs, o);
                if (op == "staging") return wph_site_staging(j, h, a.c_str(), bs, o);
                if (op == "push") return wph_site_push(j, h, a.c_str(), bs, o);
                throw wphost::Error(WPH_EINVALID, "site", "unknown site operation " + op);
            });
        }, py::arg("op"), py::arg("a"), py::arg("b") = py::none(), py::arg("progress") = py::none());

    m.def("probe_validate", [](const std::string &defs) {
        char *out = nullptr;
        wphost::check(wph_probe_validate(&out, defs.c_str()));
        std::string s = out;
        wph_str_free(out);
        return s;
    });
    py::class_<PyMonitor>(m, "ProbeMonitor")
        .def(py::init<PyEngine &, const std::string &, std::optional<py::function>, std::optional<py::function>>(),
             py::arg("engine"), py::arg("defs"), py::arg("on_event") = py::none(), py::arg("remediate") = py::none())
        .def("close", &PyMonitor::close)
        .def("metrics", [](PyMonitor &m) { return m.json([](wph_probe_monitor *h, char **o) { return wph_probe_monitor_metrics(o, h); }); })
        .def("status", [](PyMonitor &m) { return m.json([](wph_probe_monitor *h, char **o) { return wph_probe_monitor_status(o, h); }); });

    m.def("provider_kinds", [] { return json_without_gil([](char **o) { return wph_provider_kinds(o); }); });
    py::class_<PyProvider>(m, "Provider")
        .def(py::init<PyEngine &, const std::string &>(), py::arg("engine"), py::arg("config"))
        .def("close", &PyProvider::close)
        .def("operations", [](PyProvider &p) {
            auto *h = p.h();
            return json_without_gil([&](char **o) { return wph_provider_operations(o, h); });
        })
        .def("call", [](PyProvider &p, const std::string &op, const std::string &params) {
            auto *h = p.h();
            return json_without_gil([&](char **o) { return wph_provider_call(o, h, op.c_str(), params.c_str()); });
        }, py::arg("operation"), py::arg("params") = "{}")
        .def("call_start", [](PyProvider &p, const std::string &op, const std::string &params, std::optional<py::function> progress) {
            auto *h = p.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) {
                return wph_provider_call_start(j, h, op.c_str(), params.c_str(), o);
            });
        }, py::arg("operation"), py::arg("params") = "{}", py::arg("progress") = py::none());

    py::class_<PyRepo>(m, "Repo")
        .def_static("init", [](PyEngine &e, const std::string &location, std::optional<std::string> password,
                               std::optional<std::string> password_file, unsigned version, std::optional<std::string> compression,
                               unsigned scrypt_n) { return PyRepo::make(e, true, location, password, password_file, version, compression, scrypt_n); },
                    py::arg("engine"), py::arg("location"), py::arg("password") = py::none(), py::arg("password_file") = py::none(),
                    py::arg("version") = 0, py::arg("compression") = py::none(), py::arg("scrypt_n") = 0)
        .def_static("open", [](PyEngine &e, const std::string &location, std::optional<std::string> password,
                               std::optional<std::string> password_file, std::optional<std::string> compression) {
                        return PyRepo::make(e, false, location, password, password_file, 0, compression, 0);
                    },
                    py::arg("engine"), py::arg("location"), py::arg("password") = py::none(), py::arg("password_file") = py::none(),
                    py::arg("compression") = py::none())
        .def("close", &PyRepo::close)
        .def("info", [](PyRepo &r) { auto *h = r.h(); return r.json([&](char **o) { return wph_repo_info(o, h); }); })
        .def("stats", [](PyRepo &r) { auto *h = r.h(); return r.json([&](char **o) { return wph_repo_stats(o, h); }); })
        .def("keys", [](PyRepo &r) { auto *h = r.h(); return r.json([&](char **o) { return wph_repo_key_list(o, h); }); })
        .def("snapshots", [](PyRepo &r, const std::string &filter) {
            auto *h = r.h();
            return r.json([&](char **o) { return wph_repo_snapshots(o, h, filter.c_str()); });
        })
        .def("ls", [](PyRepo &r, const std::string &snap) {
            auto *h = r.h();
            return r.json([&](char **o) { return wph_repo_ls(o, h, snap.c_str()); });
        })
        .def("add_key", [](PyRepo &r, const std::string &pw) {
            auto *h = r.h();
            return r.json([&](char **o) { return wph_repo_key_add(o, h, pw.c_str()); });
        })
        .def("change_password", [](PyRepo &r, const std::string &pw) {
            auto *h = r.h();
            return r.json([&](char **o) { return wph_repo_key_passwd(o, h, pw.c_str()); });
        })
        .def("remove_key", [](PyRepo &r, const std::string &id) { wphost::check(wph_repo_key_remove(r.h(), id.c_str())); })
        .def("unlock", [](PyRepo &r, bool all) {
            int n = 0;
            wphost::check(wph_repo_unlock(&n, r.h(), all ? 1 : 0));
            return n;
        })
        .def("dump", [](PyRepo &r, const std::string &snap, const std::string &path, py::object write) {
            auto *h = r.h();
            auto cb = [](const char *d, unsigned long n, void *p) -> int {
                py::gil_scoped_acquire gil;
                try {
                    (*static_cast<py::object *>(p))(py::bytes(d, n));
                    return 0;
                } catch (py::error_already_set &e) {
                    e.restore();
                    return 1;
                }
            };
            int rc;
            {
                py::gil_scoped_release nogil;
                rc = wph_repo_dump(h, snap.c_str(), path.c_str(), cb, &write);
            }
            if (PyErr_Occurred()) throw py::error_already_set();
            wphost::check(rc);
        })
        .def("backup_start", [](PyRepo &r, const std::string &spec, std::optional<py::function> progress) {
            auto *h = r.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) { return wph_repo_backup_start(j, h, spec.c_str(), o); });
        }, py::arg("spec"), py::arg("progress") = py::none())
        .def("backup_stream_start", [](PyRepo &r, const std::string &spec, py::function read, std::optional<py::function> progress) {
            auto *h = r.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o, Callback *cb) {
                return wph_repo_backup_stream_start(j, h, spec.c_str(), read_trampoline, cb, o);
            }, read);
        }, py::arg("spec"), py::arg("read"), py::arg("progress") = py::none())
        .def("restore_start", [](PyRepo &r, const std::string &spec, std::optional<py::function> progress) {
            auto *h = r.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) { return wph_repo_restore_start(j, h, spec.c_str(), o); });
        }, py::arg("spec"), py::arg("progress") = py::none())
        .def("check_start", [](PyRepo &r, const std::string &spec, std::optional<py::function> progress) {
            auto *h = r.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) { return wph_repo_check_start(j, h, spec.c_str(), o); });
        }, py::arg("spec"), py::arg("progress") = py::none())
        .def("forget_start", [](PyRepo &r, const std::string &spec, std::optional<py::function> progress) {
            auto *h = r.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) { return wph_repo_forget_start(j, h, spec.c_str(), o); });
        }, py::arg("spec"), py::arg("progress") = py::none())
        .def("prune_start", [](PyRepo &r, const std::string &spec, std::optional<py::function> progress) {
            auto *h = r.h();
            return start_job(progress, [&](wph_job **j, const wph_job_options *o) { return wph_repo_prune_start(j, h, spec.c_str(), o); });
        }, py::arg("spec"), py::arg("progress") = py::none());

    m.attr("JOB_PENDING") = static_cast<int>(WPH_JOB_PENDING);
    m.attr("JOB_RUNNING") = static_cast<int>(WPH_JOB_RUNNING);
    m.attr("JOB_SUCCEEDED") = static_cast<int>(WPH_JOB_SUCCEEDED);
    m.attr("JOB_FAILED") = static_cast<int>(WPH_JOB_FAILED);
    m.attr("JOB_CANCELLED") = static_cast<int>(WPH_JOB_CANCELLED);
}
