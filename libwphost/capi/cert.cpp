// The C ABI of include/wphost/cert.h (being written).
#include "capi/capi.hpp"
