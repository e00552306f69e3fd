// Placeholder until the cloudflare client lands.
#include "engine/error.hpp"
#include "provider/provider.hpp"

namespace wph::provider {
std::unique_ptr<Provider> open_cloudflare(const boost::json::object &) { raise(WPH_ERROR, "cloudflare", "the cloudflare client is not built yet"); }
}  // namespace wph::provider
