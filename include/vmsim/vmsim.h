/* libvmsim: an x86 MMU and the Linux memory-management subsystem in user space. */
#ifndef VMSIM_VMSIM_H
#define VMSIM_VMSIM_H

#include "vmsim/error.h"
#include "vmsim/machine.h"

#endif
