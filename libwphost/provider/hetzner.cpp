// Placeholder until the hetzner client lands.
#include "engine/error.hpp"
#include "provider/provider.hpp"

namespace wph::provider {
std::unique_ptr<Provider> open_hetzner(const boost::json::object &) { raise(WPH_ERROR, "hetzner", "the hetzner client is not built yet"); }
}  // namespace wph::provider
