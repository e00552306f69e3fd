// Placeholder until the digitalocean client lands.
#include "engine/error.hpp"
#include "provider/provider.hpp"

namespace wph::provider {
std::unique_ptr<Provider> open_digitalocean(const boost::json::object &) { raise(WPH_ERROR, "digitalocean", "the digitalocean client is not built yet"); }
}  // namespace wph::provider
