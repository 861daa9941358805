/*
 * Errors: every fallible vmsim_ call returns 0 or a negative errno and, when
 * given a struct vmsim_error, fills it with one printable line.  For input
 * files the line reads "FILE:LINE:COL: message".
 */
#ifndef VMSIM_ERROR_H
#define VMSIM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define VMSIM_API __attribute__((visibility("default")))

struct vmsim_error {
	int code;		/* negative errno, 0 when clear */
	char msg[512];		/* one line, no trailing newline */
};

#ifdef __cplusplus
}
#endif
#endif
