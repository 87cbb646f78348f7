// Umbrella header: everything a C++ caller of chanrules needs. (The C API is chanrules.h.)
#pragma once

#include <chanrules/batch.h>
#include <chanrules/diagnostics.h>
#include <chanrules/result.h>
#include <chanrules/rule_set.h>
#include <chanrules/version.h>
