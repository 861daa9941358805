/* Scenario interpreter (see scenario.h). */
#include "scenario.h"
