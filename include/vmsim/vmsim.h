/* libvmsim: an x86 MMU and the Linux memory-management subsystem in user space. */
#ifndef VMSIM_VMSIM_H
#define VMSIM_VMSIM_H

#include "vmsim/error.h"
#include "vmsim/machine.h"
#include "vmsim/mrc.h"
#include "vmsim/replay.h"
#include "vmsim/stats.h"
#include "vmsim/task.h"
#include "vmsim/translate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version: "MAJOR.MINOR.PATCH", and as one number
 * MAJOR * 10000 + MINOR * 100 + PATCH. */
VMSIM_API const char *vmsim_version(void);
VMSIM_API unsigned vmsim_version_number(void);

#ifdef __cplusplus
}
#endif
#endif
