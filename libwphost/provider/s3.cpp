// Placeholder until the s3 client lands.
#include "engine/error.hpp"
#include "provider/provider.hpp"

namespace wph::provider {
std::unique_ptr<Provider> open_s3(const boost::json::object &) { raise(WPH_ERROR, "s3", "the s3 client is not built yet"); }
}  // namespace wph::provider
