// The host check through the C++ wrapper, cancelling it from the progress
// callback if it takes more than `max_steps` steps (here: never).
#include <iostream>
#include <wphost.hpp>

int main(int argc, char **argv) {
    try {
        wphost::EngineOptions opts;
        if (argc > 1) opts.state_dir(argv[1]);
        wphost::Engine engine(std::move(opts));
        wphost::ProgressFn progress = [](const wphost::Progress &p) {
            std::cerr << "  " << p.step << "/" << p.steps << " " << p.phase << "\n";
            return true;  // false would cancel
        };
        wphost::Job job = engine.host_check_start(&progress);
        std::cout << job.result() << "\n";
        std::cerr << "job " << job.id() << " " << wph_job_state_name(job.state()) << "\n";
    } catch (const wphost::Error &e) {
        std::cerr << e.code_name() << " [" << e.category() << "] " << e.what() << "\n";
        return 1;
    }
}
