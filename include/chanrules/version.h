// chanrules version numbers.
#pragma once

#define CHANRULES_VERSION_MAJOR 0
#define CHANRULES_VERSION_MINOR 1
#define CHANRULES_VERSION_PATCH 0
#define CHANRULES_VERSION_STRING "0.1.0"
