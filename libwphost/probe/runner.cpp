#include "probe/runner.hpp"
