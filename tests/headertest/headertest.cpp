// The public headers, the C++ wrapper included, compile as C++17 with
// -Wall -Wextra -pedantic -Werror.
#include <wphost.h>
#include <wphost.hpp>

int main() {
    wph_engine_options eo = WPH_ENGINE_OPTIONS_INIT;
    wphost::Error e(WPH_ENOTFOUND, "test", "message", 404);
    return (eo.version == WPH_ENGINE_OPTIONS_VERSION && e.code() == WPH_ENOTFOUND && e.http_status() == 404) ? 0 : 1;
}
