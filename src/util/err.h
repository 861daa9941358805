/*
 * Error values in calls that return an address (include/linux/err.h): one
 * integer carries either an address or a negative errno, and only
 * -MAX_ERRNO..-1 are errnos.  Every other value is an address, those at
 * 2^63 and above included, so a caller tests IS_ERR_VALUE(), never "< 0".
 */
#ifndef VMSIM_UTIL_ERR_H
#define VMSIM_UTIL_ERR_H

#include <stdint.h>

#define MAX_ERRNO 4095

#define IS_ERR_VALUE(x) ((uint64_t)(x) >= (uint64_t)-MAX_ERRNO)

#endif
