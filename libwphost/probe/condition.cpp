#include "probe/condition.hpp"
