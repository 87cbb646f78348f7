// Umbrella header: everything a C++ caller of chanrules needs.
#pragma once

#include <chanrules/batch.h>
#include <chanrules/diagnostics.h>
#include <chanrules/result.h>
#include <chanrules/rule_set.h>
#include <chanrules/version.h>
