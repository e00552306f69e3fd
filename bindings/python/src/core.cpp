// wphost._core: a thin pybind11 layer over the C ABI (through wphost.hpp), so
// Python sees exactly what C callers see. The pure-Python package `wphost`
// builds the friendly API on top.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include "wphost.hpp"

namespace py = pybind11;

namespace {

// Holds the Python progress callback for as long as the job may call it.
struct Callback {
    py::function fn;
};

int progress_trampoline(const wph_progress *p, void *payload) {
    py::gil_scoped_acquire gil;
    auto *cb = static_cast<Callback *>(payload);
    try {
        py::dict d;
        d["phase"] = p->phase ? p->phase : "";
        d["step"] = p->step;
        d["steps"] = p->steps;
        d["percent"] = p->percent;
        d["bytes_done"] = p->bytes_done;
        d["bytes_total"] = p->bytes_total;
        d["files_done"] = p->files_done;
        d["files_total"] = p->files_total;
        py::object r = cb->fn(d);
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
        auto p = job_.progress();
        py::dict d;
        d["phase"] = p.phase;
        d["step"] = p.step;
        d["steps"] = p.steps;
        d["percent"] = p.percent;
        d["bytes_done"] = p.bytes_done;
        d["bytes_total"] = p.bytes_total;
        d["files_done"] = p.files_done;
        d["files_total"] = p.files_total;
        return d;
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
        py::gil_scoped_release nogil;
        engine_.reset();
    }

    std::unique_ptr<PyJob> host_check_start(std::optional<py::function> progress) {
        std::unique_ptr<Callback> cb;
        wph_job_options o = WPH_JOB_OPTIONS_INIT;
        if (progress) {
            cb = std::make_unique<Callback>(Callback{*progress});
            o.progress_cb = progress_trampoline;
            o.payload = cb.get();
        }
        wph_job *h = nullptr;
        wphost::check(wph_host_check_start(&h, get().c_handle(), &o));
        return std::make_unique<PyJob>(h, std::move(cb));
    }

private:
    std::optional<wphost::Engine> engine_;
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
        .def("host_check_start", &PyEngine::host_check_start, py::arg("progress") = py::none());

    m.attr("JOB_PENDING") = static_cast<int>(WPH_JOB_PENDING);
    m.attr("JOB_RUNNING") = static_cast<int>(WPH_JOB_RUNNING);
    m.attr("JOB_SUCCEEDED") = static_cast<int>(WPH_JOB_SUCCEEDED);
    m.attr("JOB_FAILED") = static_cast<int>(WPH_JOB_FAILED);
    m.attr("JOB_CANCELLED") = static_cast<int>(WPH_JOB_CANCELLED);
}
